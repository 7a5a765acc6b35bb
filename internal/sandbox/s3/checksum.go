package s3

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strings"
)

// Checksum algorithms S3 accepts in x-amz-checksum-<alg> headers and
// trailers, and the one it computes when the client sends none.
var checksumAlgorithms = []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "SHA512"}

const defaultChecksum = "CRC64NVME"

// crc64NVME is the reversed CRC-64/NVME polynomial, as crc64.MakeTable wants it.
const crc64NVME = 0x9a6c9329ac4bc9b5

func newChecksumHash(alg string) hash.Hash {
	switch alg {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "CRC64NVME":
		return crc64.New(crc64.MakeTable(crc64NVME))
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	case "SHA512":
		return sha512.New()
	}
	return nil
}

func checksumHeader(alg string) string { return "X-Amz-Checksum-" + strings.ToLower(alg) }

func validChecksumAlgorithm(alg string) bool { return newChecksumHash(alg) != nil }

// checksumOf encodes a digest the way S3 headers carry it.
func checksumOf(h hash.Hash) string { return base64.StdEncoding.EncodeToString(h.Sum(nil)) }

// checkChecksumValue validates the form of a checksum value for alg.
func checkChecksumValue(alg, value string) *s3Error {
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(raw) != newChecksumHash(alg).Size() {
		return errInvalidRequest("Value for %s header is invalid.", strings.ToLower(checksumHeader(alg)))
	}
	return nil
}

// requestChecksum finds the checksum a request declares: a value header
// (x-amz-checksum-crc32: …), or an algorithm whose value comes in the
// aws-chunked trailer (x-amz-trailer: x-amz-checksum-crc32), or just an
// algorithm (x-amz-sdk-checksum-algorithm / x-amz-checksum-algorithm).
func requestChecksum(h http.Header) (alg, value, trailer string, err *s3Error) {
	for _, a := range checksumAlgorithms {
		if v := h.Get(checksumHeader(a)); v != "" {
			if alg != "" {
				return "", "", "", errInvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			alg, value = a, v
		}
	}
	if t := h.Get("X-Amz-Trailer"); t != "" {
		t = strings.TrimSpace(strings.ToLower(t))
		a, ok := strings.CutPrefix(t, "x-amz-checksum-")
		if !ok || !validChecksumAlgorithm(strings.ToUpper(a)) {
			return "", "", "", errInvalidRequest("The value specified in the x-amz-trailer header is not supported")
		}
		if alg != "" {
			return "", "", "", errInvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		alg, trailer = strings.ToUpper(a), t
	}
	if alg == "" {
		for _, hdr := range []string{"X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Algorithm"} {
			if a := strings.ToUpper(h.Get(hdr)); a != "" {
				if !validChecksumAlgorithm(a) {
					return "", "", "", errInvalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
				}
				alg = a
				break
			}
		}
	}
	if value != "" {
		if e := checkChecksumValue(alg, value); e != nil {
			return "", "", "", e
		}
	}
	return alg, value, trailer, nil
}

func errBadChecksum(alg string) *s3Error {
	return newErr(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum.", alg)
}
