package dynamodb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox"
)

// FuzzJSONProtocol sends arbitrary X-Amz-Target operations and bodies to
// the sandbox's DynamoDB and KMS: every answer must be a JSON document, and
// every error an AWS-style one with a __type and a 4xx status (or the
// honest 501 NotImplemented for operations the sandbox lacks) — never a
// panic (which the server turns into a 500 InternalFailure) or a hang.
func FuzzJSONProtocol(f *testing.F) {
	srv, err := sandbox.Open(sandbox.Options{DataDir: f.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close(context.Background()) })
	h := srv.Handler()

	seeds := []struct{ target, body string }{
		{"DynamoDB_20120810.CreateTable", `{"TableName":"fz","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`},
		{"DynamoDB_20120810.PutItem", `{"TableName":"fz","Item":{"k":{"S":"a"},"n":{"N":"1"}},"ConditionExpression":"attribute_not_exists(k)"}`},
		{"DynamoDB_20120810.UpdateItem", `{"TableName":"fz","Key":{"k":{"S":"a"}},"UpdateExpression":"SET n = n + :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"ALL_NEW"}`},
		{"DynamoDB_20120810.Query", `{"TableName":"fz","KeyConditionExpression":"k = :k","ExpressionAttributeValues":{":k":{"S":"a"}},"Limit":1}`},
		{"DynamoDB_20120810.Scan", `{"TableName":"fz","FilterExpression":"size(n) > :z","ExpressionAttributeValues":{":z":{"N":"0"}},"Segment":0,"TotalSegments":2}`},
		{"DynamoDB_20120810.GetItem", `{"TableName":"fz","Key":{"k":{"S":"a"}},"ProjectionExpression":"n, #x[0].y","ExpressionAttributeNames":{"#x":"x"}}`},
		{"DynamoDB_20120810.BatchWriteItem", `{"RequestItems":{"fz":[{"PutRequest":{"Item":{"k":{"S":"b"},"m":{"M":{"l":{"L":[{"NULL":true}]}}}}}}]}}`},
		{"DynamoDB_20120810.TransactWriteItems", `{"TransactItems":[{"ConditionCheck":{"TableName":"fz","Key":{"k":{"S":"a"}},"ConditionExpression":"n = :v","ExpressionAttributeValues":{":v":{"N":"2"}}}}]}`},
		{"DynamoDB_20120810.PutItem", `{"TableName":"fz","Item":{"k":{"S":"a","N":"1"}}}`},
		{"DynamoDB_20120810.PutItem", `{"TableName":"fz","Item":{"k":{"N":"1e999999999"}}}`},
		{"DynamoDB_20120810.DescribeTable", `{"TableName":["not","a","string"]}`},
		{"DynamoDB_20120810.UpdateTable", `{"TableName":"fz","GlobalSecondaryIndexUpdates":[{}]}`},
		{"DynamoDB_20120810.ListTables", `{"Limit":0}`},
		{"DynamoDB_20120810.ListTagsOfResource", `{"ResourceArn":"arn:aws:dynamodb:us-east-1:123456789012:table/fz","NextToken":"-1"}`},
		{"DynamoDB_20120810.NoSuchOp", `{}`},
		{"DynamoDB_20120810.", `{}`},
		{"TrentService.CreateKey", `{"Description":"fuzz"}`},
		{"TrentService.Encrypt", `{"KeyId":"alias/aws/s3","Plaintext":"aGVsbG8="}`},
		{"TrentService.Decrypt", `{"CiphertextBlob":"dmttcwE="}`},
		{"TrentService.GenerateDataKey", `{"KeyId":"alias/aws/s3","NumberOfBytes":1025}`},
		{"TrentService.CreateAlias", `{"AliasName":"alias/fz","TargetKeyId":"arn:aws:kms:us-east-1:123456789012:key/"}`},
		{"TrentService.ListAliases", `{"Marker":"99999999999999999999"}`},
		{"TrentService.ScheduleKeyDeletion", `{"KeyId":"mrk-00000000000000000000000000000000","PendingWindowInDays":7}`},
		{"TrentService.PutKeyPolicy", `{"KeyId":"x","Policy":"{}"}`},
		{"TrentService.Decrypt", `not json at all`},
		{"TrentService.Encrypt", `{"KeyId":1}`},
		{"Nope.Thing", `{}`},
	}
	for _, s := range seeds {
		f.Add(s.target, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		if strings.ContainsAny(target, "\r\n\x00") {
			t.Skip("not a valid header value")
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		// Signed the way the SDKs sign, so the scope routes the request to
		// DynamoDB or KMS whatever the target says.
		ct, svc := "application/x-amz-json-1.0", "dynamodb"
		if strings.HasPrefix(target, "TrentService") {
			ct, svc = "application/x-amz-json-1.1", "kms"
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20240101/us-east-1/"+svc+"/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%s %q: answer is not JSON (%d): %q", target, body, res.StatusCode, rec.Body.String())
		}
		switch {
		case res.StatusCode == http.StatusOK:
		case res.StatusCode == http.StatusNotImplemented && doc["__type"] == "NotImplemented":
		case res.StatusCode >= 400 && res.StatusCode < 500:
			if doc["__type"] == nil || doc["__type"] == "" {
				t.Fatalf("%s %q: error without __type: %s", target, body, rec.Body.String())
			}
		default:
			t.Fatalf("%s %q: status %d: %s", target, body, res.StatusCode, rec.Body.String())
		}
	})
}
