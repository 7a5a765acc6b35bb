package s3_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestUnsetConfigurations checks what a fresh bucket answers for every
// configuration the Terraform provider reads on refresh: AWS's defaults,
// or AWS's exact "not found" code (which the provider tolerates).
func TestUnsetConfigurations(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "fresh")
	b := aws.String("fresh")
	notFound := []struct {
		name string
		call func() error
		code string
	}{
		{"policy", func() error { _, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b}); return err }, "NoSuchBucketPolicy"},
		{"lifecycle", func() error {
			_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
			return err
		}, "NoSuchLifecycleConfiguration"},
		{"cors", func() error { _, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b}); return err }, "NoSuchCORSConfiguration"},
		{"website", func() error { _, err := c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b}); return err }, "NoSuchWebsiteConfiguration"},
		{"replication", func() error {
			_, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: b})
			return err
		}, "ReplicationConfigurationNotFoundError"},
		{"object lock", func() error {
			_, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
			return err
		}, "ObjectLockConfigurationNotFoundError"},
		{"tagging", func() error { _, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b}); return err }, "NoSuchTagSet"},
	}
	for _, tt := range notFound {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code, 404) })
	}
	// Defaults every new bucket has on AWS since 2023.
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	r := enc.ServerSideEncryptionConfiguration.Rules[0]
	if r.ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 || r.BucketKeyEnabled == nil || *r.BucketKeyEnabled {
		t.Errorf("default encryption = %+v", r)
	}
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if p := pab.PublicAccessBlockConfiguration; !aws.ToBool(p.BlockPublicAcls) || !aws.ToBool(p.RestrictPublicBuckets) {
		t.Errorf("default public access block = %+v", p)
	}
	own, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if own.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Errorf("default ownership = %v", own.OwnershipControls.Rules[0].ObjectOwnership)
	}
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl || acl.Grants[0].Grantee.Type != types.TypeCanonicalUser ||
		aws.ToString(acl.Grants[0].Grantee.ID) != aws.ToString(acl.Owner.ID) {
		t.Errorf("default ACL = owner %+v grants %+v", acl.Owner, acl.Grants)
	}
	acc, err := c.GetBucketAccelerateConfiguration(ctx, &s3.GetBucketAccelerateConfigurationInput{Bucket: b})
	if err != nil || acc.Status != "" {
		t.Errorf("accelerate = %q, %v", acc.Status, err)
	}
	pay, err := c.GetBucketRequestPayment(ctx, &s3.GetBucketRequestPaymentInput{Bucket: b})
	if err != nil || pay.Payer != types.PayerBucketOwner {
		t.Errorf("request payment = %q, %v", pay.Payer, err)
	}
	logging, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: b})
	if err != nil || logging.LoggingEnabled != nil {
		t.Errorf("logging = %+v, %v", logging.LoggingEnabled, err)
	}
	// Deleting the defaults leaves them absent.
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
	wantCode(t, err, "NoSuchPublicAccessBlockConfiguration", 404)
	if _, err := c.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b})
	wantCode(t, err, "OwnershipControlsNotFoundError", 404)
	// Every configuration read of a missing bucket is NoSuchBucket.
	_, err = c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("missing-bucket")})
	wantCode(t, err, "NoSuchBucket", 404)
}

func TestConfigurationRoundTrips(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "conf")
	mustBucket(t, c, "conf-logs")
	b := aws.String("conf")
	// Encryption.
	if _, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
		Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
			SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("alias/state")}, BucketKeyEnabled: aws.Bool(true)}}}}); err != nil {
		t.Fatal(err)
	}
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if r := enc.ServerSideEncryptionConfiguration.Rules[0]; aws.ToString(r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != "alias/state" || !aws.ToBool(r.BucketKeyEnabled) {
		t.Errorf("encryption = %+v", r)
	}
	// New objects take the bucket's default encryption.
	out := put(t, c, "conf", "enc", []byte("x"))
	if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != "alias/state" {
		t.Errorf("object SSE = %q %q", out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
	}
	// Policy.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::conf/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
	if err != nil || aws.ToString(pol.Policy) != policy {
		t.Errorf("policy = %q, %v", aws.ToString(pol.Policy), err)
	}
	// A public policy is refused while BlockPublicPolicy is on.
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::conf/*"}]}`
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(public)})
	wantCode(t, err, "AccessDenied", 403)
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(`not json`)})
	wantCode(t, err, "MalformedPolicy", 400)
	// Lifecycle round-trips exactly, with the minimum-size header.
	rule := types.LifecycleRule{ID: aws.String("expire"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
		Expiration: &types.LifecycleExpiration{Days: aws.Int32(30)}}
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{rule}}}); err != nil {
		t.Fatal(err)
	}
	lc, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if len(lc.Rules) != 1 || aws.ToString(lc.Rules[0].Filter.Prefix) != "logs/" || aws.ToInt32(lc.Rules[0].Expiration.Days) != 30 ||
		lc.TransitionDefaultMinimumObjectSize != types.TransitionDefaultMinimumObjectSizeAllStorageClasses128k {
		t.Errorf("lifecycle = %+v (min size %q)", lc.Rules, lc.TransitionDefaultMinimumObjectSize)
	}
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{ID: aws.String("noop"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{}}}}})
	wantCode(t, err, "InvalidRequest", 400)
	// CORS and website.
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
		AllowedMethods: []string{"GET", "PUT"}, AllowedOrigins: []string{"https://example.com"}, MaxAgeSeconds: aws.Int32(300)}}}}); err != nil {
		t.Fatal(err)
	}
	cors, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	if err != nil || len(cors.CORSRules) != 1 || strings.Join(cors.CORSRules[0].AllowedMethods, ",") != "GET,PUT" {
		t.Errorf("cors = %+v, %v", cors, err)
	}
	_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
		AllowedMethods: []string{"PATCH"}, AllowedOrigins: []string{"*"}}}}})
	wantCode(t, err, "InvalidRequest", 400)
	if _, err := c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: b, WebsiteConfiguration: &types.WebsiteConfiguration{
		IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")}}}); err != nil {
		t.Fatal(err)
	}
	web, err := c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b})
	if err != nil || aws.ToString(web.IndexDocument.Suffix) != "index.html" {
		t.Errorf("website = %+v, %v", web, err)
	}
	_, err = c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: b, WebsiteConfiguration: &types.WebsiteConfiguration{}})
	wantCode(t, err, "InvalidArgument", 400)
	// Logging needs an existing target bucket.
	if _, err := c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: b, BucketLoggingStatus: &types.BucketLoggingStatus{
		LoggingEnabled: &types.LoggingEnabled{TargetBucket: aws.String("conf-logs"), TargetPrefix: aws.String("access/")}}}); err != nil {
		t.Fatal(err)
	}
	lg, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: b})
	if err != nil || lg.LoggingEnabled == nil || aws.ToString(lg.LoggingEnabled.TargetPrefix) != "access/" {
		t.Errorf("logging = %+v, %v", lg.LoggingEnabled, err)
	}
	_, err = c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: b, BucketLoggingStatus: &types.BucketLoggingStatus{
		LoggingEnabled: &types.LoggingEnabled{TargetBucket: aws.String("no-such-target"), TargetPrefix: aws.String("x/")}}})
	wantCode(t, err, "InvalidTargetBucketForLogging", 400)
	// Tags.
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("Team"), Value: aws.String("sre")}}}}); err != nil {
		t.Fatal(err)
	}
	tg, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	if err != nil || len(tg.TagSet) != 1 || aws.ToString(tg.TagSet[0].Value) != "sre" {
		t.Errorf("tags = %+v, %v", tg, err)
	}
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}}})
	wantCode(t, err, "InvalidTag", 400)
	// Accelerate and request payment.
	if _, err := c.PutBucketAccelerateConfiguration(ctx, &s3.PutBucketAccelerateConfigurationInput{Bucket: b,
		AccelerateConfiguration: &types.AccelerateConfiguration{Status: types.BucketAccelerateStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if acc, _ := c.GetBucketAccelerateConfiguration(ctx, &s3.GetBucketAccelerateConfigurationInput{Bucket: b}); acc.Status != types.BucketAccelerateStatusEnabled {
		t.Errorf("accelerate = %q", acc.Status)
	}
	if _, err := c.PutBucketRequestPayment(ctx, &s3.PutBucketRequestPaymentInput{Bucket: b,
		RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: types.PayerRequester}}); err != nil {
		t.Fatal(err)
	}
	if pay, _ := c.GetBucketRequestPayment(ctx, &s3.GetBucketRequestPaymentInput{Bucket: b}); pay.Payer != types.PayerRequester {
		t.Errorf("payer = %q", pay.Payer)
	}
	// ACLs: with BucketOwnerEnforced, only owner-only ACLs are accepted.
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPublicRead})
	wantCode(t, err, "AccessControlListNotSupported", 400)
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: b, OwnershipControls: &types.OwnershipControls{
		Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPublicRead})
	wantCode(t, err, "AccessDenied", 403) // BlockPublicAcls
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACL("log-delivery-write")}); err != nil {
		t.Fatal(err)
	}
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b})
	if err != nil || len(acl.Grants) != 3 || acl.Grants[1].Grantee.Type != types.TypeGroup {
		t.Errorf("log-delivery-write ACL = %+v, %v", acl.Grants, err)
	}
	// Versioning, then object lock on the versioned bucket.
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: b, ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
	wantCode(t, err, "InvalidBucketState", 409)
	setVersioning(t, c, "conf", types.BucketVersioningStatusEnabled)
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: b, ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled, Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	ol, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
	if err != nil || ol.ObjectLockConfiguration.Rule == nil || aws.ToInt32(ol.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 1 {
		t.Errorf("object lock = %+v, %v", ol, err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantCode(t, err, "InvalidBucketState", 409)
	// Deletes of the stored configurations.
	for name, del := range map[string]func() error{
		"policy": func() error { _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b}); return err },
		"lifecycle": func() error {
			_, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b})
			return err
		},
		"cors": func() error { _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: b}); return err },
		"website": func() error {
			_, err := c.DeleteBucketWebsite(ctx, &s3.DeleteBucketWebsiteInput{Bucket: b})
			return err
		},
		"tagging": func() error {
			_, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: b})
			return err
		},
		"encryption": func() error {
			_, err := c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: b})
			return err
		},
		"replication": func() error {
			_, err := c.DeleteBucketReplication(ctx, &s3.DeleteBucketReplicationInput{Bucket: b})
			return err
		},
	} {
		if err := del(); err != nil {
			t.Errorf("delete %s: %v", name, err)
		}
	}
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
	wantCode(t, err, "NoSuchBucketPolicy", 404)
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	wantCode(t, err, "NoSuchCORSConfiguration", 404)
	enc, _ = c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	if enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Error("deleting encryption did not restore the SSE-S3 default")
	}
}

// TestNotImplemented checks that operations the sandbox lacks answer an
// honest NotImplemented naming the operation, never a silent success.
func TestNotImplemented(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	mustBucket(t, c, "honest")
	b := aws.String("honest")
	tests := []struct {
		op   string
		call func() error
	}{
		{"GetBucketInventoryConfiguration", func() error {
			_, err := c.GetBucketInventoryConfiguration(ctx, &s3.GetBucketInventoryConfigurationInput{Bucket: b, Id: aws.String("x")})
			return err
		}},
		{"GetBucketAnalyticsConfiguration", func() error {
			_, err := c.GetBucketAnalyticsConfiguration(ctx, &s3.GetBucketAnalyticsConfigurationInput{Bucket: b, Id: aws.String("x")})
			return err
		}},
		{"PutBucketMetricsConfiguration", func() error {
			_, err := c.PutBucketMetricsConfiguration(ctx, &s3.PutBucketMetricsConfigurationInput{Bucket: b, Id: aws.String("x"),
				MetricsConfiguration: &types.MetricsConfiguration{Id: aws.String("x")}})
			return err
		}},
		{"GetBucketIntelligentTieringConfiguration", func() error {
			_, err := c.GetBucketIntelligentTieringConfiguration(ctx, &s3.GetBucketIntelligentTieringConfigurationInput{Bucket: b, Id: aws.String("x")})
			return err
		}},
		{"GetBucketNotificationConfiguration", func() error {
			_, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: b})
			return err
		}},
		{"PutBucketReplication", func() error {
			_, err := c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: b, ReplicationConfiguration: &types.ReplicationConfiguration{
				Role: aws.String("arn:aws:iam::123456789012:role/r"), Rules: []types.ReplicationRule{{Status: types.ReplicationRuleStatusEnabled,
					Destination: &types.Destination{Bucket: aws.String("arn:aws:s3:::other")}}}}})
			return err
		}},
		{"GetObjectAttributes", func() error {
			_, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: aws.String("k"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			err := tt.call()
			wantCode(t, err, "NotImplemented", 501)
			if !strings.Contains(err.Error(), tt.op) {
				t.Errorf("error does not name %s: %v", tt.op, err)
			}
		})
	}
}
