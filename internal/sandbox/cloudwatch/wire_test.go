package cloudwatch_test

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

const auth = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00"

// postQuery sends a query-protocol request the way the Terraform
// provider's SDK (service/cloudwatch v1.45, awsQuery) does.
func postQuery(t *testing.T, sb *sandboxtest.Sandbox, form url.Values) (int, []byte) {
	t.Helper()
	form.Set("Version", "2010-08-01")
	req, _ := http.NewRequest(http.MethodPost, sb.URL()+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestQueryProtocol(t *testing.T) {
	sb := sandboxtest.Start(t)
	status, body := postQuery(t, sb, url.Values{
		"Action":                      {"PutMetricAlarm"},
		"AlarmName":                   {"math"},
		"ComparisonOperator":          {"GreaterThanThreshold"},
		"EvaluationPeriods":           {"3"},
		"DatapointsToAlarm":           {"2"},
		"Threshold":                   {"1.5"},
		"TreatMissingData":            {"notBreaching"},
		"ActionsEnabled":              {"true"},
		"AlarmActions":                {""}, // an empty list
		"Metrics.member.1.Id":         {"e1"},
		"Metrics.member.1.Expression": {"m1 * 2"},
		"Metrics.member.1.ReturnData": {"true"},
		"Metrics.member.2.Id":         {"m1"},
		"Metrics.member.2.ReturnData": {"false"},
		"Metrics.member.2.MetricStat.Metric.Namespace":                 {"AWS/ApplicationELB"},
		"Metrics.member.2.MetricStat.Metric.MetricName":                {"RequestCount"},
		"Metrics.member.2.MetricStat.Metric.Dimensions.member.1.Name":  {"LoadBalancer"},
		"Metrics.member.2.MetricStat.Metric.Dimensions.member.1.Value": {"app/web/1"},
		"Metrics.member.2.MetricStat.Period":                           {"60"},
		"Metrics.member.2.MetricStat.Stat":                             {"Sum"},
		"Tags.member.1.Key":                                            {"team"},
		"Tags.member.1.Value":                                          {"sre"},
	})
	if status != 200 || !bytes.Contains(body, []byte("<PutMetricAlarmResponse")) {
		t.Fatalf("PutMetricAlarm: %d %s", status, body)
	}
	status, body = postQuery(t, sb, url.Values{"Action": {"DescribeAlarms"}, "AlarmNames.member.1": {"math"}, "AlarmTypes.member.1": {"MetricAlarm"}})
	if status != 200 {
		t.Fatalf("DescribeAlarms: %d %s", status, body)
	}
	var doc struct {
		XMLName xml.Name `xml:"DescribeAlarmsResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Alarms  []struct {
			AlarmName  string
			StateValue string
			Threshold  float64
			Metrics    []struct {
				Id         string
				Expression string
				ReturnData bool
				Dimensions []struct{ Name, Value string } `xml:"MetricStat>Metric>Dimensions>member"`
			} `xml:"Metrics>member"`
		} `xml:"DescribeAlarmsResult>MetricAlarms>member"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if doc.Xmlns != "http://monitoring.amazonaws.com/doc/2010-08-01/" || len(doc.Alarms) != 1 || doc.RequestID == "" {
		t.Fatalf("DescribeAlarms document: %s", body)
	}
	a := doc.Alarms[0]
	if a.StateValue != "INSUFFICIENT_DATA" || a.Threshold != 1.5 || len(a.Metrics) != 2 || a.Metrics[0].Expression != "m1 * 2" ||
		!a.Metrics[0].ReturnData || a.Metrics[1].ReturnData || len(a.Metrics[1].Dimensions) != 1 || a.Metrics[1].Dimensions[0].Value != "app/web/1" {
		t.Errorf("alarm = %+v", a)
	}

	// Errors: the query error document with the query code.
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"unknown alarm", url.Values{"Action": {"DeleteAlarms"}, "AlarmNames.member.1": {"none"}}, 404, "ResourceNotFound"},
		{"bad number", url.Values{"Action": {"PutMetricAlarm"}, "AlarmName": {"x"}, "EvaluationPeriods": {"three"}}, 400, "InvalidParameterValue"},
		{"missing parameter", url.Values{"Action": {"PutMetricAlarm"}, "AlarmName": {"x"}}, 400, "MissingParameter"},
		{"unimplemented operation", url.Values{"Action": {"PutDashboard"}}, 400, "InvalidAction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postQuery(t, sb, tt.form)
			var e struct {
				Code string `xml:"Error>Code"`
				Type string `xml:"Error>Type"`
			}
			_ = xml.Unmarshal(body, &e)
			if status != tt.status || e.Code != tt.code || e.Type != "Sender" {
				t.Errorf("status %d code %q: %s", status, e.Code, body)
			}
		})
	}
}

// TestGzipBodies: PutMetricData bodies may be gzip-compressed (SDKs
// compress them above 10 KiB), in both protocols.
func TestGzipBodies(t *testing.T) {
	sb := sandboxtest.Start(t)
	form := url.Values{"Action": {"PutMetricData"}, "Version": {"2010-08-01"}, "Namespace": {"App"},
		"MetricData.member.1.MetricName": {"Hits"}, "MetricData.member.1.Value": {"3"}}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(form.Encode()))
	_ = zw.Close()
	for _, tt := range []struct {
		name   string
		body   []byte
		status int
	}{{"gzip", zipped.Bytes(), 200}, {"not gzip", []byte(form.Encode()), 400}} {
		req, _ := http.NewRequest(http.MethodPost, sb.URL()+"/", bytes.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d %s", tt.name, resp.StatusCode, b)
		}
	}
}

func postCBOR(t *testing.T, sb *sandboxtest.Sandbox, path string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, sb.URL()+path, bytes.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	req.Header.Set("Content-Type", "application/cbor")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestCBORErrors(t *testing.T) {
	sb := sandboxtest.Start(t)
	tests := []struct {
		name       string
		path       string
		body       []byte
		status     int
		queryError string
	}{
		{"junk body", "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", []byte{0xff, 0x00, 0x13}, 400, "SerializationException;Sender"},
		{"wrong type", "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", mustCBOR(t, map[string]any{"AlarmNames": 5}), 400, "SerializationException;Sender"},
		{"unknown operation", "/service/GraniteServiceVersion20100801/operation/PutDashboard", nil, 400, "InvalidAction;Sender"},
		{"bad path", "/service/Other/operation/DescribeAlarms", nil, 404, "UnknownOperationException;Sender"},
		{"not found", "/service/GraniteServiceVersion20100801/operation/DeleteAlarms", mustCBOR(t, map[string]any{"AlarmNames": []string{"x"}}), 404, "ResourceNotFound;Sender"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postCBOR(t, sb, tt.path, tt.body, nil)
			if resp.StatusCode != tt.status || resp.Header.Get("X-Amzn-Query-Error") != tt.queryError ||
				resp.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || resp.Header.Get("Content-Type") != "application/cbor" {
				t.Errorf("status %d, X-Amzn-Query-Error %q, headers %v, body %x", resp.StatusCode, resp.Header.Get("X-Amzn-Query-Error"), resp.Header, body)
			}
		})
	}
}

func mustCBOR(t testing.TB, v any) []byte {
	b, err := protocol.MarshalCBOR(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzCBOR: junk rpc-v2-cbor bodies get an AWS-style 4xx, never a panic
// (the server turns a panic into a 500, which the fuzzer reports).
func FuzzCBOR(f *testing.F) {
	f.Add("DescribeAlarms", []byte{0xa0})
	f.Add("PutMetricData", mustCBOR(f, map[string]any{"Namespace": "App", "MetricData": []any{map[string]any{"MetricName": "x", "Values": []float64{1, 2}, "Counts": []float64{1}}}}))
	f.Add("PutMetricAlarm", mustCBOR(f, map[string]any{"AlarmName": "a", "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold", "Threshold": 1.0,
		"Metrics": []any{map[string]any{"Id": "e1", "Expression": "((((m1"}}}))
	f.Add("GetMetricData", mustCBOR(f, map[string]any{"StartTime": 0, "EndTime": 1e12, "MetricDataQueries": []any{map[string]any{"Id": "e", "Expression": "FILL(e, 1) ^ -e"}}}))
	f.Add("PutCompositeAlarm", mustCBOR(f, map[string]any{"AlarmName": "c", "AlarmRule": "NOT NOT NOT (ALARM(\"x\") OR"}))
	f.Add("DescribeAlarms", []byte{0x9f, 0x9f, 0x9f, 0xff})
	f.Add("GetMetricStatistics", []byte{0xbf, 0x61, 0x41, 0xc1, 0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0, 0xff})
	sb := sandboxtest.Start(f)
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if len(op) > 64 || strings.ContainsAny(op, "/?#% \t\r\n") || op == "" {
			return
		}
		resp, out := postCBOR(t, sb, "/service/GraniteServiceVersion20100801/operation/"+url.PathEscape(op), body, nil)
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
			t.Fatalf("op %q body %x: status %d %x", op, body, resp.StatusCode, out)
		}
	})
}
