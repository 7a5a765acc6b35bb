package ecs_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox"
)

var fuzzOps = []string{
	"CreateCluster", "DescribeClusters", "UpdateCluster", "UpdateClusterSettings", "PutClusterCapacityProviders",
	"DeleteCluster", "ListClusters", "RegisterTaskDefinition", "DescribeTaskDefinition", "DeregisterTaskDefinition",
	"DeleteTaskDefinitions", "ListTaskDefinitions", "ListTaskDefinitionFamilies", "CreateService", "DescribeServices",
	"UpdateService", "DeleteService", "ListServices", "RunTask", "ListTasks", "DescribeTasks", "StopTask",
	"TagResource", "UntagResource", "ListTagsForResource", "PutAccountSettingDefault", "ListAccountSettings", "NoSuchOp",
}

// FuzzECSJSON sends arbitrary JSON bodies to ECS operations: malformed or
// ill-typed input gets an AWS-style 4xx, never a panic (which the router
// would answer with a 500) or a hang.
func FuzzECSJSON(f *testing.F) {
	seeds := []struct {
		op   uint8
		body string
	}{
		{0, `{"clusterName":"a","settings":[{"name":"containerInsights","value":"enabled"}]}`},
		{0, `{"clusterName":5}`},
		{1, `{"clusters":["a",null],"include":["TAGS","NOPE"]}`},
		{4, `{"cluster":"a","capacityProviders":["FARGATE"],"defaultCapacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":-1}]}`},
		{7, `{"family":"f","containerDefinitions":[{"name":"c","image":"i","portMappings":[{"containerPort":"x"}]}]}`},
		{7, `{"family":"f","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"0.25 vCPU","memory":"0.5 GB","containerDefinitions":[{"name":"c","image":"i","portMappings":[{}]}]}`},
		{7, `{"family":"f","containerDefinitions":[null, 1, "x"]}`},
		{8, `{"taskDefinition":"arn:aws:ecs:us-east-1:1:task-definition/f:999999999999999999999"}`},
		{13, `{"serviceName":"s","taskDefinition":"f","desiredCount":-5,"loadBalancers":[{"containerPort":null}]}`},
		{13, `{"serviceName":"s","networkConfiguration":{"awsvpcConfiguration":{"subnets":[]}}}`},
		{15, `{"service":"s","deploymentConfiguration":{"maximumPercent":99999}}`},
		{18, `{"taskDefinition":"f","count":1000}`},
		{19, `{"desiredStatus":"WHATEVER","maxResults":0}`},
		{22, `{"resourceArn":"arn:aws:ecs:us-east-1:1:task-definition/x","tags":[{"key":"aws:x"}]}`},
		{26, `{"name":"containerInsights","maxResults":-1}`},
		{27, `{}`},
		{2, `not json`},
		{3, ``},
	}
	for _, s := range seeds {
		f.Add(s.op, []byte(s.body))
	}
	srv, err := sandbox.Open(sandbox.Options{DataDir: f.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		name := fuzzOps[int(op)%len(fuzzOps)]
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+name)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("%s %q: status %d: %s", name, body, rec.Code, rec.Body.String())
		}
		if rec.Code != http.StatusOK && !bytes.Contains(rec.Body.Bytes(), []byte(`"__type"`)) {
			t.Fatalf("%s %q: status %d without an AWS error document: %s", name, body, rec.Code, rec.Body.String())
		}
	})
}
