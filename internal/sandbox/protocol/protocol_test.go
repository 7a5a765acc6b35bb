package protocol_test

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		name   string
		auth   string
		query  string
		want   protocol.Scope
		wantOK bool
	}{
		{"header", "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=ab",
			"", protocol.Scope{AccessKey: "AKID", Date: "20260101", Region: "eu-west-1", Service: "s3"}, true},
		{"presigned", "", "X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsts%2Faws4_request",
			protocol.Scope{AccessKey: "AKID", Date: "20260101", Region: "us-east-1", Service: "sts"}, true},
		{"unsigned", "", "", protocol.Scope{}, false},
		{"truncated", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1", "", protocol.Scope{}, false},
		{"empty service", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1//aws4_request", "", protocol.Scope{}, false},
		{"not sigv4", "Basic dXNlcjpwYXNz", "", protocol.Scope{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			got, ok := protocol.ParseScope(r)
			if ok != tt.wantOK || got != tt.want {
				t.Fatalf("ParseScope = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestQueryList(t *testing.T) {
	form, _ := url.ParseQuery("Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Value=2&Tags.member.x.Key=junk&Ids.1=i1&Ids.10=i10&Ids.2=i2")
	tags := protocol.QueryList(form, "Tags.member")
	if len(tags) != 2 || tags[0].Get("Key") != "a" || tags[1].Get("Value") != "2" {
		t.Fatalf("QueryList = %v", tags)
	}
	ids := protocol.QueryStrings(form, "Ids")
	if strings.Join(ids, ",") != "i1,i2,i10" {
		t.Fatalf("QueryStrings = %v (numeric order expected)", ids)
	}
}

func TestWriteQueryShapes(t *testing.T) {
	rec := httptest.NewRecorder()
	type result struct {
		Account string `xml:"Account"`
	}
	protocol.WriteQuery(rec, "https://sts.amazonaws.com/doc/2011-06-15/", "GetCallerIdentity", "rid-1", result{Account: "123456789012"})
	var doc struct {
		XMLName xml.Name
		Result  struct {
			Account string `xml:"Account"`
		} `xml:"GetCallerIdentityResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, rec.Body)
	}
	if doc.XMLName.Local != "GetCallerIdentityResponse" || doc.Result.Account != "123456789012" || doc.RequestID != "rid-1" {
		t.Fatalf("decoded %+v from %s", doc, rec.Body)
	}

	rec = httptest.NewRecorder()
	protocol.WriteQueryError(rec, "", "rid-2", protocol.Errorf(404, "NoSuchEntity", "role x not found"))
	var e struct {
		Error     struct{ Type, Code, Message string } `xml:"Error"`
		RequestID string                               `xml:"RequestId"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 404 || e.Error.Code != "NoSuchEntity" || e.Error.Type != "Sender" || e.RequestID != "rid-2" {
		t.Fatalf("error doc %+v status %d", e, rec.Code)
	}
}

func TestWriteEC2Shapes(t *testing.T) {
	rec := httptest.NewRecorder()
	type vpc struct {
		VpcID string `xml:"vpcId"`
	}
	out := struct {
		XMLName xml.Name `xml:"x"`
		Vpcs    []vpc    `xml:"vpcSet>item"`
	}{Vpcs: []vpc{{VpcID: "vpc-1"}, {VpcID: "vpc-2"}}}
	protocol.WriteEC2(rec, "DescribeVpcs", "rid", out)
	var doc struct {
		XMLName   xml.Name
		RequestID string   `xml:"requestId"`
		IDs       []string `xml:"vpcSet>item>vpcId"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, rec.Body)
	}
	if doc.XMLName.Local != "DescribeVpcsResponse" || doc.RequestID != "rid" || strings.Join(doc.IDs, ",") != "vpc-1,vpc-2" {
		t.Fatalf("decoded %+v from %s", doc, rec.Body)
	}
}

func FuzzParseScope(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab", "")
	f.Add("", "X-Amz-Credential=a%2Fb%2Fc%2Fd%2Faws4_request")
	f.Add("Credential=////", "%zz")
	f.Fuzz(func(t *testing.T, auth, rawQuery string) {
		r := &http.Request{Method: http.MethodGet, Header: http.Header{}, URL: &url.URL{Path: "/", RawQuery: rawQuery}}
		r.Header.Set("Authorization", auth)
		sc, ok := protocol.ParseScope(r)
		if ok && (sc.Service == "" || strings.Contains(sc.Service, "/")) {
			t.Fatalf("accepted a malformed scope %+v", sc)
		}
	})
}

func FuzzQueryForm(f *testing.F) {
	f.Add("Action=GetCallerIdentity&Version=2011-06-15")
	f.Add("Tags.member.1.Key=a&Tags.member.99999999999999999999.Key=b")
	f.Add("%%%&&&==")
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		form, err := protocol.ParseForm(r, []byte(body))
		if err != nil {
			if err.Status < 400 || err.Status >= 500 {
				t.Fatalf("bad form gave status %d", err.Status)
			}
			return
		}
		_ = protocol.QueryList(form, "Tags.member")
	})
}

func FuzzJSONTarget(f *testing.F) {
	f.Add("DynamoDB_20120810.PutItem")
	f.Add(".")
	f.Add("a.b.c.")
	f.Fuzz(func(t *testing.T, target string) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("X-Amz-Target", target)
		p, op, ok := protocol.JSONTarget(r)
		if ok && (p == "" || op == "" || strings.Contains(op, ".")) {
			t.Fatalf("JSONTarget(%q) = %q, %q", target, p, op)
		}
	})
}
