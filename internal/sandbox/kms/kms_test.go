package kms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox"
	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

func client(t testing.TB) (*kms.Client, *sandboxtest.Sandbox) {
	t.Helper()
	sb := sandboxtest.Start(t)
	return kms.NewFromConfig(sb.AWSConfig()), sb
}

// wantCode asserts err is an AWS API error with the given code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
}

func createKey(t *testing.T, c *kms.Client, in *kms.CreateKeyInput) *types.KeyMetadata {
	t.Helper()
	if in == nil {
		in = &kms.CreateKeyInput{}
	}
	out, err := c.CreateKey(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata
}

func TestCreateAndDescribeKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, sb := client(t)
	md := createKey(t, c, &kms.CreateKeyInput{
		Description: aws.String("state key"),
		Tags:        []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("sre")}},
	})
	if md.KeyState != types.KeyStateEnabled || !md.Enabled || md.KeyManager != types.KeyManagerTypeCustomer ||
		md.KeySpec != types.KeySpecSymmetricDefault || md.KeyUsage != types.KeyUsageTypeEncryptDecrypt ||
		md.Origin != types.OriginTypeAwsKms || aws.ToBool(md.MultiRegion) || aws.ToString(md.Description) != "state key" {
		t.Errorf("unexpected metadata: %+v", md)
	}
	wantARN := "arn:aws:kms:us-east-1:" + sb.AccountID() + ":key/" + aws.ToString(md.KeyId)
	if aws.ToString(md.Arn) != wantARN {
		t.Errorf("Arn = %s, want %s", aws.ToString(md.Arn), wantARN)
	}
	if md.CreationDate == nil || time.Since(*md.CreationDate) > time.Minute {
		t.Errorf("CreationDate = %v", md.CreationDate)
	}
	if len(md.EncryptionAlgorithms) != 1 || md.EncryptionAlgorithms[0] != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Errorf("EncryptionAlgorithms = %v", md.EncryptionAlgorithms)
	}
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/state"), TargetKeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{aws.ToString(md.KeyId), wantARN, "alias/state", "arn:aws:kms:us-east-1:" + sb.AccountID() + ":alias/state"} {
		out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribeKey(%s): %v", id, err)
		}
		if aws.ToString(out.KeyMetadata.KeyId) != aws.ToString(md.KeyId) {
			t.Errorf("DescribeKey(%s) found %s", id, aws.ToString(out.KeyMetadata.KeyId))
		}
	}
	// The default key policy lets the account's root do everything.
	pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: md.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Effect    string
			Principal struct{ AWS string }
			Action    string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil {
		t.Fatalf("default policy is not JSON: %v", err)
	}
	if len(doc.Statement) != 1 || doc.Statement[0].Principal.AWS != "arn:aws:iam::"+sb.AccountID()+":root" || doc.Statement[0].Action != "kms:*" {
		t.Errorf("default policy = %s", aws.ToString(pol.Policy))
	}
	if aws.ToString(pol.PolicyName) != "default" {
		t.Errorf("PolicyName = %q", aws.ToString(pol.PolicyName))
	}
}

func TestKeyErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, sb := client(t)
	md := createKey(t, c, nil)
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"missing key", func() error {
			_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("11111111-2222-3333-4444-555555555555")})
			return err
		}, "NotFoundException"},
		{"malformed key id", func() error {
			_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("not-a-key")})
			return err
		}, "NotFoundException"},
		{"missing alias", func() error {
			_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/nope")})
			return err
		}, "NotFoundException"},
		{"key of another region", func() error {
			_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:eu-west-1:" + sb.AccountID() + ":key/" + aws.ToString(md.KeyId))})
			return err
		}, "NotFoundException"},
		{"alias where only keys are accepted", func() error {
			_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String("alias/whatever")})
			return err
		}, "NotFoundException"},
		{"deletion window too short", func() error {
			_, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: md.KeyId, PendingWindowInDays: aws.Int32(6)})
			return err
		}, "ValidationException"},
		{"rotation period too short", func() error {
			_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: md.KeyId, RotationPeriodInDays: aws.Int32(30)})
			return err
		}, "ValidationException"},
		{"policy not JSON", func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: md.KeyId, Policy: aws.String("{nope"), PolicyName: aws.String("default")})
			return err
		}, "MalformedPolicyDocumentException"},
		{"policy name other than default", func() error {
			_, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("other")})
			return err
		}, "NotFoundException"},
		{"reserved tag", func() error {
			_, err := c.TagResource(ctx, &kms.TagResourceInput{KeyId: md.KeyId, Tags: []types.Tag{{TagKey: aws.String("aws:x"), TagValue: aws.String("v")}}})
			return err
		}, "TagException"},
		{"cancel a key not pending deletion", func() error {
			_, err := c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: md.KeyId})
			return err
		}, "KMSInvalidStateException"},
		{"asymmetric key", func() error {
			_, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeSignVerify})
			return err
		}, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.call(), tt.code)
		})
	}
	var nf *types.NotFoundException
	_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("11111111-2222-3333-4444-555555555555")})
	if !errors.As(err, &nf) {
		t.Errorf("NotFoundException does not map to the SDK's typed error: %T", err)
	}
}

func TestKeyManagement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	id := createKey(t, c, nil).KeyId

	// Description.
	if _, err := c.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: id, Description: aws.String("new")}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if aws.ToString(d.KeyMetadata.Description) != "new" {
		t.Errorf("description = %q", aws.ToString(d.KeyMetadata.Description))
	}

	// Rotation.
	rs, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id})
	if err != nil || rs.KeyRotationEnabled {
		t.Fatalf("initial rotation status: %+v, %v", rs, err)
	}
	if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	rs, _ = c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id})
	if !rs.KeyRotationEnabled || aws.ToInt32(rs.RotationPeriodInDays) != 365 || rs.NextRotationDate == nil {
		t.Errorf("rotation after enable: %+v", rs)
	}
	if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id, RotationPeriodInDays: aws.Int32(90)}); err != nil {
		t.Fatal(err)
	}
	rs, _ = c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id})
	if aws.ToInt32(rs.RotationPeriodInDays) != 90 {
		t.Errorf("rotation period = %d", aws.ToInt32(rs.RotationPeriodInDays))
	}
	if _, err := c.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	rs, _ = c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id})
	if rs.KeyRotationEnabled || rs.RotationPeriodInDays != nil {
		t.Errorf("rotation after disable: %+v", rs)
	}

	// Policy.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}`
	if _, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(policy), PolicyName: aws.String("default")}); err != nil {
		t.Fatal(err)
	}
	gp, _ := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: id})
	if aws.ToString(gp.Policy) != policy {
		t.Errorf("policy = %s", aws.ToString(gp.Policy))
	}
	lp, err := c.ListKeyPolicies(ctx, &kms.ListKeyPoliciesInput{KeyId: id})
	if err != nil || len(lp.PolicyNames) != 1 || lp.PolicyNames[0] != "default" {
		t.Errorf("ListKeyPolicies = %+v, %v", lp, err)
	}

	// Tags.
	if _, err := c.TagResource(ctx, &kms.TagResourceInput{KeyId: id, Tags: []types.Tag{
		{TagKey: aws.String("b"), TagValue: aws.String("2")}, {TagKey: aws.String("a"), TagValue: aws.String("1")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &kms.UntagResourceInput{KeyId: id, TagKeys: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: id})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "a" || tags.Truncated {
		t.Errorf("ListResourceTags = %+v, %v", tags, err)
	}

	// Disable and enable.
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if d.KeyMetadata.Enabled || d.KeyMetadata.KeyState != types.KeyStateDisabled {
		t.Errorf("after DisableKey: %+v", d.KeyMetadata)
	}
	_, err = c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id})
	wantCode(t, err, "DisabledException")
	if _, err := c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}

	// Scheduled deletion and cancelling it.
	sched, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	if sched.KeyState != types.KeyStatePendingDeletion || aws.ToInt32(sched.PendingWindowInDays) != 7 ||
		sched.DeletionDate == nil || sched.DeletionDate.Sub(time.Now()) < 6*24*time.Hour || !strings.HasPrefix(aws.ToString(sched.KeyId), "arn:") {
		t.Errorf("ScheduleKeyDeletion = %+v", sched)
	}
	d, _ = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if d.KeyMetadata.KeyState != types.KeyStatePendingDeletion || d.KeyMetadata.DeletionDate == nil || d.KeyMetadata.Enabled {
		t.Errorf("pending key: %+v", d.KeyMetadata)
	}
	_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id})
	var ise *types.KMSInvalidStateException
	if !errors.As(err, &ise) {
		t.Errorf("scheduling twice: want KMSInvalidStateException, got %v", err)
	}
	_, err = c.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: id, Description: aws.String("x")})
	wantCode(t, err, "KMSInvalidStateException")
	if _, err := c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if d.KeyMetadata.KeyState != types.KeyStateDisabled || d.KeyMetadata.DeletionDate != nil {
		t.Errorf("after CancelKeyDeletion the key is Disabled: %+v", d.KeyMetadata)
	}
}

func TestListKeysPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	want := map[string]bool{}
	for range 5 {
		want[aws.ToString(createKey(t, c, nil).KeyId)] = true
	}
	got := map[string]bool{}
	pages := 0
	p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{Limit: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, k := range out.Keys {
			if got[aws.ToString(k.KeyId)] {
				t.Errorf("key %s listed twice", aws.ToString(k.KeyId))
			}
			got[aws.ToString(k.KeyId)] = true
			if !strings.HasSuffix(aws.ToString(k.KeyArn), aws.ToString(k.KeyId)) {
				t.Errorf("KeyArn %s", aws.ToString(k.KeyArn))
			}
		}
	}
	if pages != 3 || len(got) != 5 {
		t.Errorf("pages = %d, keys = %d", pages, len(got))
	}
	for k := range want {
		if !got[k] {
			t.Errorf("key %s not listed", k)
		}
	}
}

func TestAliases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, sb := client(t)
	k1 := createKey(t, c, nil).KeyId
	k2 := createKey(t, c, nil).KeyId
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: k1}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: k2})
	var ae *types.AlreadyExistsException
	if !errors.As(err, &ae) {
		t.Fatalf("duplicate alias: want AlreadyExistsException, got %v", err)
	}
	for _, bad := range []string{"app", "alias/aws/mine", "alias/sp ace"} {
		_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(bad), TargetKeyId: k1})
		if err == nil {
			t.Errorf("CreateAlias(%q) succeeded", bad)
		}
	}
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/x"), TargetKeyId: aws.String("11111111-2222-3333-4444-555555555555")})
	wantCode(t, err, "NotFoundException")

	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/other"), TargetKeyId: k2}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListAliases(ctx, &kms.ListAliasesInput{KeyId: k1})
	if err != nil || len(list.Aliases) != 1 || aws.ToString(list.Aliases[0].AliasName) != "alias/app" ||
		aws.ToString(list.Aliases[0].TargetKeyId) != aws.ToString(k1) ||
		aws.ToString(list.Aliases[0].AliasArn) != "arn:aws:kms:us-east-1:"+sb.AccountID()+":alias/app" {
		t.Fatalf("ListAliases(k1) = %+v, %v", list, err)
	}
	if _, err := c.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: k2}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/app")})
	if aws.ToString(d.KeyMetadata.KeyId) != aws.ToString(k2) {
		t.Errorf("alias/app points at %s after UpdateAlias", aws.ToString(d.KeyMetadata.KeyId))
	}
	all, _ := c.ListAliases(ctx, &kms.ListAliasesInput{})
	if len(all.Aliases) != 2 {
		t.Errorf("ListAliases = %d aliases", len(all.Aliases))
	}
	if _, err := c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/app")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/app")})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("deleting a missing alias: want NotFoundException, got %v", err)
	}
	_, err = c.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: k1})
	wantCode(t, err, "NotFoundException")
}

func TestManagedKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dynamodb")})
	if err != nil {
		t.Fatal(err)
	}
	if d.KeyMetadata.KeyManager != types.KeyManagerTypeAws {
		t.Errorf("KeyManager = %s", d.KeyMetadata.KeyManager)
	}
	again, _ := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dynamodb")})
	if aws.ToString(again.KeyMetadata.KeyId) != aws.ToString(d.KeyMetadata.KeyId) {
		t.Errorf("the managed key changed between calls")
	}
	_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: d.KeyMetadata.KeyId})
	if err == nil {
		t.Error("an AWS managed key cannot be deleted")
	}
}

func TestEncryptDecrypt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	id := createKey(t, c, nil).KeyId
	other := createKey(t, c, nil).KeyId
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/enc"), TargetKeyId: id}); err != nil {
		t.Fatal(err)
	}
	ec := map[string]string{"purpose": "test", "stack": "prod"}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/enc"), Plaintext: []byte("secret"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(aws.ToString(enc.KeyId), aws.ToString(id)) || enc.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Errorf("Encrypt output: %+v", enc)
	}
	if bytes.Contains(enc.CiphertextBlob, []byte("secret")) {
		t.Fatal("the ciphertext contains the plaintext")
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if string(dec.Plaintext) != "secret" || aws.ToString(dec.KeyId) != aws.ToString(enc.KeyId) {
		t.Errorf("Decrypt = %q by %s", dec.Plaintext, aws.ToString(dec.KeyId))
	}

	tampered := append([]byte(nil), enc.CiphertextBlob...)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name string
		in   *kms.DecryptInput
		code string
	}{
		{"wrong context", &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "other", "stack": "prod"}}, "InvalidCiphertextException"},
		{"missing context", &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}, "InvalidCiphertextException"},
		{"tampered", &kms.DecryptInput{CiphertextBlob: tampered, EncryptionContext: ec}, "InvalidCiphertextException"},
		{"garbage", &kms.DecryptInput{CiphertextBlob: []byte("definitely not a ciphertext blob")}, "InvalidCiphertextException"},
		{"other key named", &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, KeyId: other}, "IncorrectKeyException"},
	}
	for _, tt := range tests {
		_, err := c.Decrypt(ctx, tt.in)
		if tt.code == "InvalidCiphertextException" {
			var ic *types.InvalidCiphertextException
			if !errors.As(err, &ic) {
				t.Errorf("%s: want InvalidCiphertextException, got %v", tt.name, err)
			}
			continue
		}
		wantCode(t, err, tt.code)
	}

	// Data keys.
	dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: id, KeySpec: types.DataKeySpecAes256})
	if err != nil || len(dk.Plaintext) != 32 {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	back, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob})
	if err != nil || !bytes.Equal(back.Plaintext, dk.Plaintext) {
		t.Fatalf("data key round trip: %v", err)
	}
	nopt, err := c.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: id, NumberOfBytes: aws.Int32(16)})
	if err != nil || len(nopt.CiphertextBlob) == 0 {
		t.Fatalf("GenerateDataKeyWithoutPlaintext: %v", err)
	}
	if back, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: nopt.CiphertextBlob}); err != nil || len(back.Plaintext) != 16 {
		t.Fatalf("decrypting a data key made without plaintext: %v", err)
	}
	_, err = c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: id})
	wantCode(t, err, "ValidationException")

	// ReEncrypt moves a ciphertext to another key.
	re, err := c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: ec, DestinationKeyId: other})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(aws.ToString(re.KeyId), aws.ToString(other)) || !strings.HasSuffix(aws.ToString(re.SourceKeyId), aws.ToString(id)) {
		t.Errorf("ReEncrypt output: %+v", re)
	}
	dec2, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob})
	if err != nil || string(dec2.Plaintext) != "secret" {
		t.Fatalf("decrypting the re-encrypted blob: %v", err)
	}

	// Rotation keeps old ciphertexts readable.
	if _, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}); err != nil {
		t.Fatalf("decrypt after rotation: %v", err)
	}
	rots, err := c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: id})
	if err != nil || len(rots.Rotations) != 1 || rots.Rotations[0].RotationType != types.RotationTypeOnDemand {
		t.Errorf("ListKeyRotations = %+v, %v", rots, err)
	}

	// Disabled and pending-deletion keys refuse to work.
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	var de *types.DisabledException
	if !errors.As(err, &de) {
		t.Errorf("encrypt with a disabled key: want DisabledException, got %v", err)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if !errors.As(err, &de) {
		t.Errorf("decrypt with a disabled key: want DisabledException, got %v", err)
	}
	if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: other, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob})
	wantCode(t, err, "KMSInvalidStateException")

	// Limits.
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: other, Plaintext: make([]byte, 4097)})
	wantCode(t, err, "ValidationException")
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x"), DryRun: aws.Bool(true)})
	wantCode(t, err, "DisabledException")
}

func TestDryRunAndRandomAndMac(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	id := createKey(t, c, nil).KeyId
	_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x"), DryRun: aws.Bool(true)})
	var dr *types.DryRunOperationException
	if !errors.As(err, &dr) {
		t.Errorf("DryRun: want DryRunOperationException, got %v", err)
	}
	r, err := c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(64)})
	if err != nil || len(r.Plaintext) != 64 {
		t.Fatalf("GenerateRandom: %v", err)
	}
	mk := createKey(t, c, &kms.CreateKeyInput{KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeGenerateVerifyMac})
	if len(mk.MacAlgorithms) != 1 || mk.MacAlgorithms[0] != types.MacAlgorithmSpecHmacSha256 {
		t.Errorf("MacAlgorithms = %v", mk.MacAlgorithms)
	}
	mac, err := c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: mk.KeyId, Message: []byte("m"), MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	if err != nil || len(mac.Mac) != 32 {
		t.Fatalf("GenerateMac: %v", err)
	}
	v, err := c.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: mk.KeyId, Message: []byte("m"), Mac: mac.Mac, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	if err != nil || !v.MacValid {
		t.Fatalf("VerifyMac: %+v, %v", v, err)
	}
	_, err = c.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: mk.KeyId, Message: []byte("n"), Mac: mac.Mac, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	var bad *types.KMSInvalidMacException
	if !errors.As(err, &bad) {
		t.Errorf("VerifyMac of a wrong message: want KMSInvalidMacException, got %v", err)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: mk.KeyId, Plaintext: []byte("x")})
	wantCode(t, err, "InvalidKeyUsageException")
}

// clock is a settable clock for the sandbox.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestTimeDeletesAndRotatesKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &clock{now: time.Now()}
	srv, err := sandbox.Open(sandbox.Options{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	sb := &sandboxtest.Sandbox{Server: srv}
	c := kms.NewFromConfig(sb.AWSConfig())

	doomed := createKey(t, c, nil).KeyId
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/doomed"), TargetKeyId: doomed}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: doomed, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	rotating := createKey(t, c, nil).KeyId
	if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: rotating, RotationPeriodInDays: aws.Int32(90)}); err != nil {
		t.Fatal(err)
	}
	old, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: rotating, Plaintext: []byte("before")})
	if err != nil {
		t.Fatal(err)
	}

	clk.Advance(8 * 24 * time.Hour)
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: doomed})
	wantCode(t, err, "NotFoundException")
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/doomed")})
	wantCode(t, err, "NotFoundException")

	clk.Advance(200 * 24 * time.Hour)
	rots, err := c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: rotating})
	if err != nil || len(rots.Rotations) != 2 {
		t.Fatalf("after 208 days with a 90-day period: %+v, %v", rots, err)
	}
	if out, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: old.CiphertextBlob}); err != nil || string(out.Plaintext) != "before" {
		t.Fatalf("old ciphertext after automatic rotation: %v", err)
	}
}

func TestKeysSurviveRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	sb := sandboxtest.StartIn(t, dir)
	c := kms.NewFromConfig(sb.AWSConfig())
	id := createKey(t, c, &kms.CreateKeyInput{Description: aws.String("durable")}).KeyId
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/durable"), TargetKeyId: id}); err != nil {
		t.Fatal(err)
	}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("kept")})
	if err != nil {
		t.Fatal(err)
	}
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sb.Close(closeCtx); err != nil {
		t.Fatal(err)
	}

	sb2 := sandboxtest.StartIn(t, dir)
	c2 := kms.NewFromConfig(sb2.AWSConfig())
	d, err := c2.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/durable")})
	if err != nil || aws.ToString(d.KeyMetadata.Description) != "durable" {
		t.Fatalf("after restart: %+v, %v", d, err)
	}
	dec, err := c2.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "kept" {
		t.Fatalf("decrypt after restart: %v", err)
	}
}
