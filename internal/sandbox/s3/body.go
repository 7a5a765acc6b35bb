package s3

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// body is a request payload on its way in: the decoded stream (aws-chunked
// undone), and what the request promised about it (Content-MD5,
// x-amz-content-sha256, x-amz-checksum-*, x-amz-decoded-content-length),
// checked by finish once the stream has been consumed.
type body struct {
	r          io.Reader
	chunked    *ChunkedReader
	alg        string // checksum algorithm stored with the object ("" none)
	want       string // declared checksum value ("" when absent or in the trailer)
	trailer    string // trailer carrying the checksum
	hash       hash.Hash
	md5        []byte
	sha256     string
	decodedLen int64 // -1 when not aws-chunked
}

// clientError marks a failure reading the client's body (a truncated or
// malformed stream), as opposed to the sandbox failing to store it.
type clientError struct{ err error }

func (e *clientError) Error() string { return e.err.Error() }
func (e *clientError) Unwrap() error { return e.err }

type clientReader struct{ r io.Reader }

func (c clientReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = &clientError{err}
	}
	return n, err
}

// openBody prepares r's body. defaultAlg is the checksum computed when the
// request declares none ("" for none).
func openBody(r *http.Request, defaultAlg string) (*body, *s3Error) {
	h := r.Header
	b := &body{decodedLen: -1}
	if v := h.Get("Content-Md5"); v != "" {
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(raw) != md5.Size {
			return nil, newErr(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified is not valid.")
		}
		b.md5 = raw
	}
	sha := h.Get("X-Amz-Content-Sha256")
	streaming := strings.HasPrefix(sha, "STREAMING-")
	switch {
	case sha == "" || sha == "UNSIGNED-PAYLOAD" || streaming:
	case len(sha) == 64 && isHex(sha):
		b.sha256 = strings.ToLower(sha)
	default:
		return nil, errInvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.").with("ArgumentName", "x-amz-content-sha256").with("ArgumentValue", truncate(sha, 80))
	}
	chunked := streaming || hasToken(h.Get("Content-Encoding"), "aws-chunked")
	alg, value, trailer, e := requestChecksum(h)
	if e != nil {
		return nil, e
	}
	if trailer != "" && !chunked {
		return nil, errInvalidRequest("x-amz-trailer is only supported with Content-Encoding: aws-chunked")
	}
	if alg == "" {
		alg = defaultAlg
	}
	b.alg, b.want, b.trailer = alg, value, trailer
	var src io.Reader = http.NoBody
	if r.Body != nil {
		src = r.Body
	}
	if chunked {
		dl := h.Get("X-Amz-Decoded-Content-Length")
		n, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || n < 0 {
			return nil, newErr(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header (x-amz-decoded-content-length for aws-chunked bodies).")
		}
		b.decodedLen = n
		b.chunked = NewChunkedReader(src)
		src = b.chunked
	}
	src = clientReader{src}
	if alg != "" {
		b.hash = newChecksumHash(alg)
		src = io.TeeReader(src, b.hash)
	}
	b.r = src
	return b, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func hasToken(header, token string) bool {
	for _, t := range strings.Split(header, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// finish checks what the request promised against what was read: n bytes
// with the given hex MD5 and SHA-256. It returns the checksum to store.
func (b *body) finish(n int64, md5Hex, sha256Hex string) (string, *s3Error) {
	if b.chunked != nil {
		if n != b.decodedLen {
			return "", newErr(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header (%d declared, %d sent)", b.decodedLen, n)
		}
		if b.trailer != "" {
			v := b.chunked.Trailers().Get(b.trailer)
			if v == "" {
				return "", newErr(http.StatusBadRequest, "MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema: %s is missing", b.trailer)
			}
			if e := checkChecksumValue(b.alg, v); e != nil {
				return "", e
			}
			b.want = v
		}
	}
	if b.md5 != nil && hex.EncodeToString(b.md5) != md5Hex {
		return "", newErr(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
	}
	if b.sha256 != "" && b.sha256 != sha256Hex {
		return "", newErr(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.").
			with("ClientComputedContentSHA256", b.sha256).with("S3ComputedContentSHA256", sha256Hex)
	}
	if b.hash == nil {
		return "", nil
	}
	got := checksumOf(b.hash)
	if b.want != "" && b.want != got {
		return "", errBadChecksum(b.alg)
	}
	return got, nil
}

// readError maps a failure while consuming the body.
func readError(err error) *s3Error {
	var ce *ChunkError
	switch {
	case errors.As(err, &ce):
		return newErr(http.StatusBadRequest, "InvalidRequest", "Malformed aws-chunked body: %s", ce.Msg)
	case errors.Is(err, state.ErrTooLarge):
		return newErr(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").with("MaxSizeAllowed", itoa(MaxObjectSize))
	}
	var cl *clientError
	if errors.As(err, &cl) {
		return newErr(http.StatusBadRequest, "IncompleteBody", "The request body terminated unexpectedly")
	}
	return asS3Error(err)
}

// readSmallBody reads a whole request body that is a document, not an
// object (configurations, DeleteObjects, CompleteMultipartUpload),
// verifying its Content-MD5 and checksum headers.
func (c *call) readSmallBody(limit int64) ([]byte, error) {
	b, e := openBody(c.r, "")
	if e != nil {
		return nil, e
	}
	data, err := io.ReadAll(io.LimitReader(b.r, limit+1))
	if err != nil {
		return nil, readError(err)
	}
	if int64(len(data)) > limit {
		return nil, newErr(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").with("MaxSizeAllowed", itoa(limit))
	}
	m := md5.Sum(data)
	sh := sha256.Sum256(data)
	if _, e := b.finish(int64(len(data)), hex.EncodeToString(m[:]), hex.EncodeToString(sh[:])); e != nil {
		return nil, e
	}
	return data, nil
}
