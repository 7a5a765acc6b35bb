package protocol

import (
	"net/http"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// Smithy RPC v2 CBOR ("rpc-v2-cbor"): what current aws-sdk-go-v2 clients of
// CloudWatch (and other services migrating off the query protocol) send.
//
//   - request: POST /service/<ServiceShapeName>/operation/<Operation>, headers
//     Smithy-Protocol: rpc-v2-cbor, Content-Type: application/cbor (absent
//     when the input is empty), body a CBOR map of the input members;
//   - response: the same headers and a CBOR map of the output members;
//     timestamps are CBOR tag 1 (epoch seconds, integer or float);
//   - error: HTTP status of the error, a CBOR map {"__type": shape id,
//     "message": …}; services marked awsQueryCompatible also send
//     X-Amzn-Query-Error: <query code>;Sender|Receiver, which the SDK uses as
//     the error code it reports.

// CBORContentType is the media type of rpc-v2-cbor bodies.
const CBORContentType = "application/cbor"

// cborDecMode bounds what a request body can make the decoder allocate.
// Compiled once: a mode is immutable and safe for concurrent use.
var cborDecMode = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		MaxNestedLevels:  32,
		MaxArrayElements: 200_000,
		MaxMapPairs:      200_000,
		DupMapKey:        cbor.DupMapKeyQuiet,
		IndefLength:      cbor.IndefLengthAllowed,
		TagsMd:           cbor.TagsAllowed,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// cborEncMode writes timestamps the way Smithy expects (tag 1, integer
// seconds when whole, else float) and omits nothing on its own: callers use
// omitempty tags for absent members.
var cborEncMode = func() cbor.EncMode {
	m, err := cbor.EncOptions{
		Time:          cbor.TimeUnixDynamic,
		TimeTag:       cbor.EncTagRequired,
		NilContainers: cbor.NilContainerAsNull,
		ShortestFloat: cbor.ShortestFloatNone,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// IsRPCv2CBOR reports whether r speaks Smithy RPC v2 CBOR.
func IsRPCv2CBOR(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("Smithy-Protocol")), "rpc-v2-cbor")
}

// CBOROperation splits an rpc-v2-cbor path /service/<Service>/operation/<Op>.
func CBOROperation(path string) (svc, op string, ok bool) {
	rest, found := strings.CutPrefix(path, "/service/")
	if !found {
		return "", "", false
	}
	svc, op, found = strings.Cut(rest, "/operation/")
	if !found || svc == "" || op == "" || strings.Contains(svc, "/") || strings.Contains(op, "/") {
		return "", "", false
	}
	return svc, op, true
}

// DecodeCBOR decodes an rpc-v2-cbor input into v (a pointer to a struct
// whose field names, or json tags, are the input's member names). An empty
// body leaves v as it is: Smithy sends no body for an empty input.
func DecodeCBOR(body []byte, v any) *Error {
	if len(body) == 0 {
		return nil
	}
	if err := cborDecMode.Unmarshal(body, v); err != nil {
		return Errorf(http.StatusBadRequest, "SerializationException", "cannot decode the rpc-v2-cbor request body: %v", err)
	}
	return nil
}

// MarshalCBOR encodes v with the rpc-v2-cbor conventions (tests use it to
// build requests by hand).
func MarshalCBOR(v any) ([]byte, error) { return cborEncMode.Marshal(v) }

// WriteCBOR writes an rpc-v2-cbor result. A nil v is written as an empty
// map.
func WriteCBOR(w http.ResponseWriter, requestID string, v any) {
	if v == nil {
		v = map[string]any{}
	}
	body, err := cborEncMode.Marshal(v)
	if err != nil {
		WriteCBORError(w, requestID, AsError(err), "", false)
		return
	}
	setCBORHeaders(w, requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// WriteCBORError writes an rpc-v2-cbor error. shapeID is the error shape
// ("com.amazonaws.cloudwatch#ResourceNotFound"); empty means e.Code. For an
// awsQueryCompatible service, queryCompatible adds X-Amzn-Query-Error with
// e.Code, which SDKs then report as the error code, exactly as the query
// protocol would.
func WriteCBORError(w http.ResponseWriter, requestID string, e *Error, shapeID string, queryCompatible bool) {
	if shapeID == "" {
		shapeID = e.Code
	}
	body := map[string]any{"__type": shapeID, "message": e.Message, "Message": e.Message}
	for k, v := range e.Fields {
		if _, taken := body[k]; !taken {
			body[k] = v
		}
	}
	out, err := cborEncMode.Marshal(body)
	if err != nil {
		out, _ = cborEncMode.Marshal(map[string]any{"__type": shapeID, "message": e.Message})
	}
	setCBORHeaders(w, requestID)
	if queryCompatible {
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+typeOf(e))
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(out)
}

func setCBORHeaders(w http.ResponseWriter, requestID string) {
	w.Header().Set("Content-Type", CBORContentType)
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-RequestId", requestID)
}
