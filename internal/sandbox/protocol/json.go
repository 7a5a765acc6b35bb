package protocol

import (
	"encoding/json"
	"net/http"
	"strings"
)

// JSONTarget splits an X-Amz-Target header ("DynamoDB_20120810.PutItem")
// into its prefix and operation.
func JSONTarget(r *http.Request) (prefix, op string, ok bool) {
	t := r.Header.Get("X-Amz-Target")
	i := strings.LastIndexByte(t, '.')
	if i <= 0 || i == len(t)-1 {
		return "", "", false
	}
	return t[:i], t[i+1:], true
}

// WriteJSON writes a JSON-protocol result. version is "1.0" or "1.1".
func WriteJSON(w http.ResponseWriter, version, requestID string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteJSONError(w, version, requestID, AsError(err))
		return
	}
	if v == nil {
		body = []byte("{}")
	}
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// WriteJSONError writes an error in the JSON 1.0/1.1 shape. SDKs read the
// code from __type (the part after '#', if any) and the message from
// "message".
func WriteJSONError(w http.ResponseWriter, version, requestID string, e *Error) {
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	body := map[string]any{"__type": e.Code, "message": e.Message}
	for k, v := range e.Fields {
		if k != "__type" && k != "message" {
			body[k] = v
		}
	}
	_ = json.NewEncoder(w).Encode(body)
}

// WriteRESTJSON writes a REST-JSON result with the given status.
func WriteRESTJSON(w http.ResponseWriter, status int, requestID string, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", requestID)
	if v == nil {
		w.WriteHeader(status)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		WriteRESTJSONError(w, requestID, AsError(err))
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteRESTJSONError writes a REST-JSON error: the code in
// X-Amzn-ErrorType, and a body carrying both "message" and "Message" since
// services differ in which one they use.
func WriteRESTJSONError(w http.ResponseWriter, requestID string, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": senderType(e), "message": e.Message, "Message": e.Message})
}

func senderType(e *Error) string {
	if e.Sender() {
		return "User"
	}
	return "Service"
}
