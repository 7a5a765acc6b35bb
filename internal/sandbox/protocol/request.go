package protocol

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// Scope is the SigV4 credential scope of a request: who signed it for which
// service in which region.
type Scope struct {
	AccessKey string
	Date      string
	Region    string
	Service   string
}

// ParseScope reads the credential scope from the Authorization header
// (AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, …)
// or from a presigned URL's X-Amz-Credential query parameter. ok is false
// when the request is unsigned or the scope is malformed.
func ParseScope(r *http.Request) (Scope, bool) {
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		i := strings.Index(auth, "Credential=")
		if i < 0 {
			return Scope{}, false
		}
		cred = auth[i+len("Credential="):]
		if j := strings.IndexAny(cred, ", "); j >= 0 {
			cred = cred[:j]
		}
	} else if c := r.URL.Query().Get("X-Amz-Credential"); c != "" {
		cred = c
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[3] == "" {
		return Scope{}, false
	}
	return Scope{AccessKey: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, true
}

// NewRequestID returns a random request id in the usual AWS shape.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
