package iam_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

// FuzzIAMQuery sends random actions and form bodies to the sandbox as IAM
// requests: every answer must be a well-formed XML document, and every
// failure a 4xx query-protocol error — never a panic (500) or a hang.
func FuzzIAMQuery(f *testing.F) {
	trust := url.QueryEscape(trustEC2)
	seeds := []struct{ action, body string }{
		{"CreateRole", "RoleName=r1&AssumeRolePolicyDocument=" + trust + "&Tags.member.1.Key=a&Tags.member.1.Value=b"},
		{"CreateRole", "RoleName=r2&Path=%2Fx%2F&MaxSessionDuration=99999999999999999999&AssumeRolePolicyDocument=" + trust},
		{"CreateRole", "RoleName=r3&AssumeRolePolicyDocument=%7B%22Statement%22%3A%5B%5B%5B%5D%5D%5D%7D"},
		{"GetRole", "RoleName=r1"},
		{"ListRoles", "MaxItems=1&Marker=%%%"},
		{"ListRoles", "MaxItems=1&Marker=cjE"},
		{"TagRole", "RoleName=r1&Tags.member.0.Key=x&Tags.member.99999999999999999999.Value=y"},
		{"UntagRole", "RoleName=r1&TagKeys.member.1="},
		{"PutRolePolicy", "RoleName=r1&PolicyName=p&PolicyDocument=" + url.QueryEscape(readS3)},
		{"PutRolePolicy", "RoleName=r1&PolicyName=p&PolicyDocument=%7B%22Version%22%3A1%7D"},
		{"GetRolePolicy", "RoleName=r1&PolicyName=p"},
		{"CreatePolicy", "PolicyName=p&PolicyDocument=" + url.QueryEscape(readS3)},
		{"CreatePolicyVersion", "PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp&PolicyDocument=" + url.QueryEscape(writeS3) + "&SetAsDefault=maybe"},
		{"GetPolicyVersion", "PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess&VersionId=v1.%00"},
		{"ListPolicies", "Scope=Nope&OnlyAttached=true"},
		{"AttachRolePolicy", "RoleName=r1&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess"},
		{"ListEntitiesForPolicy", "PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&EntityFilter=Role"},
		{"CreateOpenIDConnectProvider", "Url=https%3A%2F%2Fexample.com%2F%2F..%2F&ClientIDList.member.1=a&ThumbprintList.member.1=zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"},
		{"GetOpenIDConnectProvider", "OpenIDConnectProviderArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2F"},
		{"CreateInstanceProfile", "InstanceProfileName=ip&Path=%2F"},
		{"AddRoleToInstanceProfile", "InstanceProfileName=ip&RoleName=r1"},
		{"CreateServiceLinkedRole", "AWSServiceName=ecs.amazonaws.com&CustomSuffix=%FF"},
		{"CreateUser", "UserName=u&PermissionsBoundary=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Faws-service-role%2FAmazonECSServiceRolePolicy"},
		{"UpdateUser", "UserName=u&NewUserName=U"},
		{"", "Action=&Action=GetRole"},
		{"NoSuchAction", "a=b"},
		{"DeleteRole", "RoleName=" + strings.Repeat("r", 70)},
		{"GetRole", "%zz"},
	}
	for _, s := range seeds {
		f.Add(s.action, s.body)
	}
	sb := sandboxtest.Start(f)
	h := sb.Handler()
	f.Fuzz(func(t *testing.T, action, body string) {
		form := body
		if action != "" {
			form = "Action=" + url.QueryEscape(action) + "&Version=2010-05-08&" + body
		}
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 {
			t.Fatalf("%s %q: status %d: %s", action, body, res.StatusCode, out)
		}
		if err := wellFormed(out); err != nil {
			t.Fatalf("%s %q: answer is not XML (%v): %s", action, body, err, out)
		}
		if res.StatusCode >= 400 && !bytes.Contains(out, []byte("<ErrorResponse")) {
			t.Fatalf("%s %q: status %d without an ErrorResponse: %s", action, body, res.StatusCode, out)
		}
	})
}

func wellFormed(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
