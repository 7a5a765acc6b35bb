package sts_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

func client(sb *sandboxtest.Sandbox, creds aws.CredentialsProvider) *sts.Client {
	cfg := sb.AWSConfig()
	if creds != nil {
		cfg.Credentials = creds
	}
	return sts.NewFromConfig(cfg)
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestGetCallerIdentity(t *testing.T) {
	sb := sandboxtest.Start(t)
	out, err := client(sb, nil).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Account); got != sb.AccountID() {
		t.Errorf("Account = %q, want %q", got, sb.AccountID())
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:iam::"+sb.AccountID()+":user/sandbox"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if !strings.HasPrefix(aws.ToString(out.UserId), "AIDA") {
		t.Errorf("UserId = %q, want AIDA…", aws.ToString(out.UserId))
	}
}

func TestAssumeRoleThenCallerIdentity(t *testing.T) {
	sb := sandboxtest.Start(t)
	ctx := context.Background()
	roleArn := "arn:aws:iam::" + sb.AccountID() + ":role/path/deployer"
	out, err := client(sb, nil).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleArn), RoleSessionName: aws.String("vigil-ci"), DurationSeconds: aws.Int32(900),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("sre")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
		t.Fatalf("credentials = %+v", c)
	}
	if d := time.Until(aws.ToTime(c.Expiration)); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("expiration in %v, want ~15m", d)
	}
	wantArn := "arn:aws:sts::" + sb.AccountID() + ":assumed-role/deployer/vigil-ci"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantArn {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, wantArn)
	}
	if got := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(got, "AROA") || !strings.HasSuffix(got, ":vigil-ci") {
		t.Errorf("AssumedRoleId = %q", got)
	}
	// The issued credentials identify the assumed role.
	session := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	id, err := client(sb, session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(id.Arn); got != wantArn {
		t.Errorf("caller Arn = %q, want %q", got, wantArn)
	}
	if got := aws.ToString(id.UserId); got != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("caller UserId = %q", got)
	}
	// Session credentials cannot get a session token.
	_, err = client(sb, session).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("GetSessionToken with session creds: err = %v, want AccessDenied", err)
	}
}

func TestAssumeRoleErrors(t *testing.T) {
	sb := sandboxtest.Start(t)
	acct := sb.AccountID()
	tests := []struct {
		name     string
		in       sts.AssumeRoleInput
		wantCode string
	}{
		{"malformed arn", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::12345:role-x/abcdefghij"), RoleSessionName: aws.String("s1")}, "ValidationError"},
		{"not a role", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":user/bob"), RoleSessionName: aws.String("s1")}, "ValidationError"},
		{"bad session name", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/r"), RoleSessionName: aws.String("has space")}, "ValidationError"},
		{"duration too short", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/r"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(60)}, "ValidationError"},
		{"other account", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::999999999999:role/r"), RoleSessionName: aws.String("s1")}, "AccessDenied"},
		{"malformed policy", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/r"), RoleSessionName: aws.String("s1"), Policy: aws.String("{nope")}, "MalformedPolicyDocument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client(sb, nil).AssumeRole(context.Background(), &tt.in)
			if got := apiCode(err); got != tt.wantCode {
				t.Fatalf("err = %v (code %q), want code %q", err, got, tt.wantCode)
			}
		})
	}
}

func jwt(t *testing.T, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("signature"))
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	sb := sandboxtest.Start(t)
	ctx := context.Background()
	roleArn := aws.String("arn:aws:iam::" + sb.AccountID() + ":role/github-actions")
	exp := time.Now().Add(time.Hour).Unix()
	// Unsigned, as the SDK sends it.
	c := sts.NewFromConfig(sb.AWSConfig(), func(o *sts.Options) { o.Credentials = aws.AnonymousCredentials{} })
	out, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: roleArn, RoleSessionName: aws.String("gha-run-1"),
		WebIdentityToken: aws.String(jwt(t, `{"iss":"https://token.actions.githubusercontent.com","sub":"repo:org/repo:ref:refs/heads/main","aud":["sts.amazonaws.com"],"exp":`+itoa(exp)+`}`)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.SubjectFromWebIdentityToken); got != "repo:org/repo:ref:refs/heads/main" {
		t.Errorf("Subject = %q", got)
	}
	if got := aws.ToString(out.Audience); got != "sts.amazonaws.com" {
		t.Errorf("Audience = %q", got)
	}
	if got := aws.ToString(out.Provider); got != "https://token.actions.githubusercontent.com" {
		t.Errorf("Provider = %q", got)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::"+sb.AccountID()+":assumed-role/github-actions/gha-run-1"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}

	bad := []struct {
		name, token, code string
	}{
		{"not a jwt", "opaque-access-token", "InvalidIdentityToken"},
		{"bad payload", "a.!!!.c", "InvalidIdentityToken"},
		{"no subject", jwt(t, `{"iss":"https://x"}`), "InvalidIdentityToken"},
		{"expired", jwt(t, `{"iss":"https://x","sub":"s","exp":1000}`), "ExpiredTokenException"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: roleArn, RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(tt.token)})
			if got := apiCode(err); got != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}
}

func TestGetSessionTokenAndAccessKeyInfo(t *testing.T) {
	sb := sandboxtest.Start(t)
	ctx := context.Background()
	out, err := client(sb, nil).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(3600)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	session := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	id, err := client(sb, session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:iam::"+sb.AccountID()+":user/sandbox"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if _, err := client(sb, nil).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(10)}); apiCode(err) != "ValidationError" {
		t.Errorf("short duration: err = %v", err)
	}
	info, err := client(sb, nil).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(info.Account) != sb.AccountID() {
		t.Errorf("Account = %q", aws.ToString(info.Account))
	}
}

func TestUnknownActionIsInvalidAction(t *testing.T) {
	sb := sandboxtest.Start(t)
	_, err := client(sb, nil).DecodeAuthorizationMessage(context.Background(), &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("x")})
	if got := apiCode(err); got != "InvalidAction" {
		t.Fatalf("err = %v, want InvalidAction", err)
	}
	if !strings.Contains(err.Error(), "DecodeAuthorizationMessage") {
		t.Errorf("error does not name the operation: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
