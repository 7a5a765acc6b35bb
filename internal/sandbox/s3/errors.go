package s3

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
)

// s3Error is an S3 error: the code and status SDKs branch on, plus the extra
// elements S3 puts in some error documents (Key, BucketName, UploadId,
// Condition, ActualObjectSize …).
type s3Error struct {
	Code    string
	Message string
	Status  int
	Extra   []xmlField
}

type xmlField struct {
	Name, Value string
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

func newErr(status int, code, format string, args ...any) *s3Error {
	return &s3Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

func (e *s3Error) with(name, value string) *s3Error {
	e.Extra = append(e.Extra, xmlField{name, value})
	return e
}

// The errors callers branch on, with AWS's codes, statuses and messages.
func errNoSuchBucket(bucket string) *s3Error {
	return newErr(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", bucket)
}

func errNoSuchKey(key string) *s3Error {
	return newErr(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").with("Key", key)
}

func errNoSuchVersion(key, version string) *s3Error {
	return newErr(http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.").with("Key", key).with("VersionId", version)
}

func errNoSuchUpload(id string) *s3Error {
	return newErr(http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").with("UploadId", id)
}

func errPrecondition(condition string) *s3Error {
	return newErr(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold").with("Condition", condition)
}

func errMalformedXML() *s3Error {
	return newErr(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}

func errInvalidArgument(format string, args ...any) *s3Error {
	return newErr(http.StatusBadRequest, "InvalidArgument", format, args...)
}

func errInvalidRequest(format string, args ...any) *s3Error {
	return newErr(http.StatusBadRequest, "InvalidRequest", format, args...)
}

func errMethodNotAllowed(method, resource string) *s3Error {
	return newErr(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.").
		with("Method", method).with("ResourceType", resource)
}

// notImplemented names the S3 operation the sandbox lacks.
func notImplemented(op string) *s3Error {
	pe := protocol.NotImplemented("s3", op)
	return &s3Error{Code: pe.Code, Message: pe.Message, Status: pe.Status}
}

// asS3Error turns any error into an *s3Error (unknown errors are the
// sandbox's fault: 500 InternalError).
func asS3Error(err error) *s3Error {
	var se *s3Error
	if errors.As(err, &se) {
		return se
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return &s3Error{Code: pe.Code, Message: pe.Message, Status: pe.Status}
	}
	return newErr(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again. (%v)", err)
}

// writeError writes S3's <Error> document (no body for HEAD, as on AWS).
func writeError(w http.ResponseWriter, r *http.Request, requestID string, e *s3Error, resource string) {
	h := w.Header()
	h.Set("X-Amz-Request-Id", requestID)
	h.Set("X-Amz-Id-2", hostID(requestID))
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	type field struct {
		XMLName xml.Name
		Value   string `xml:",chardata"`
	}
	doc := struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		Extra     []field
		Resource  string `xml:"Resource,omitempty"`
		RequestID string `xml:"RequestId"`
		HostID    string `xml:"HostId"`
	}{Code: e.Code, Message: e.Message, Resource: resource, RequestID: requestID, HostID: hostID(requestID)}
	for _, f := range e.Extra {
		doc.Extra = append(doc.Extra, field{XMLName: xml.Name{Local: f.Name}, Value: f.Value})
	}
	out, err := xml.Marshal(doc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h.Set("Content-Type", "application/xml")
	h.Del("Content-Length")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

// hostID is the x-amz-id-2 companion of a request id.
func hostID(requestID string) string { return "vigil-sandbox/" + requestID }
