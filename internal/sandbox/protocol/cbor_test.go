package protocol_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
)

func TestCBOROperation(t *testing.T) {
	tests := []struct {
		path    string
		svc, op string
		ok      bool
	}{
		{"/service/GraniteServiceVersion20100801/operation/PutMetricData", "GraniteServiceVersion20100801", "PutMetricData", true},
		{"/service/S/operation/", "", "", false},
		{"/service//operation/Op", "", "", false},
		{"/service/S/operation/Op/extra", "", "", false},
		{"/service/S/Op", "", "", false},
		{"/", "", "", false},
	}
	for _, tt := range tests {
		svc, op, ok := protocol.CBOROperation(tt.path)
		if svc != tt.svc || op != tt.op || ok != tt.ok {
			t.Errorf("CBOROperation(%q) = %q, %q, %v", tt.path, svc, op, ok)
		}
	}
}

func TestCBORRoundTrip(t *testing.T) {
	type in struct {
		Name *string
		At   time.Time
		N    int32
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 250e6, time.UTC)
	body, err := protocol.MarshalCBOR(map[string]any{"Name": "x", "At": at, "N": 7, "Unknown": []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	var got in
	if e := protocol.DecodeCBOR(body, &got); e != nil {
		t.Fatal(e)
	}
	if *got.Name != "x" || !got.At.Equal(at) || got.N != 7 {
		t.Errorf("decoded %+v", got)
	}
	if e := protocol.DecodeCBOR([]byte{0xff}, &got); e == nil || e.Status != 400 || e.Code != "SerializationException" {
		t.Errorf("junk body: %v", e)
	}
	// Timestamps go out as tag 1, as Smithy requires.
	rec := httptest.NewRecorder()
	protocol.WriteCBOR(rec, "rid", struct{ At time.Time }{at})
	var raw map[string]cbor.RawTag
	if err := cbor.Unmarshal(rec.Body.Bytes(), &raw); err != nil || raw["At"].Number != 1 {
		t.Errorf("timestamp encoding: %v %x", err, rec.Body.Bytes())
	}
	if rec.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" || rec.Header().Get("Content-Type") != "application/cbor" {
		t.Errorf("headers %v", rec.Header())
	}
}

func TestWriteCBORError(t *testing.T) {
	rec := httptest.NewRecorder()
	protocol.WriteCBORError(rec, "rid", protocol.Errorf(404, "ResourceNotFound", "Alarm x not found"), "com.amazonaws.cloudwatch#ResourceNotFound", true)
	var body map[string]string
	if err := cbor.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 404 || body["__type"] != "com.amazonaws.cloudwatch#ResourceNotFound" || body["message"] != "Alarm x not found" ||
		rec.Header().Get("X-Amzn-Query-Error") != "ResourceNotFound;Sender" {
		t.Errorf("status %d body %v headers %v", rec.Code, body, rec.Header())
	}
	rec = httptest.NewRecorder()
	protocol.WriteCBORError(rec, "rid", protocol.Errorf(500, "InternalFailure", "boom"), "", false)
	if rec.Header().Get("X-Amzn-Query-Error") != "" || rec.Code != 500 {
		t.Errorf("non-query-compatible error: %d %v", rec.Code, rec.Header())
	}
}
