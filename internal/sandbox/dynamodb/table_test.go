package dynamodb_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

func client(t testing.TB) (*dynamodb.Client, *sandboxtest.Sandbox) {
	t.Helper()
	sb := sandboxtest.Start(t)
	return dynamodb.NewFromConfig(sb.AWSConfig()), sb
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

// lockTable creates a Terraform-style lock table (hash key LockID).
func lockTable(t testing.TB, c *dynamodb.Client, name string) {
	t.Helper()
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("LockID"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("LockID"), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
}

// orderTable creates a table with a sort key, a GSI and an LSI.
func orderTable(t testing.TB, c *dynamodb.Client, name string) {
	t.Helper()
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
			{AttributeName: aws.String("owner"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("total"), AttributeType: types.ScalarAttributeTypeN},
		},
		BillingMode: types.BillingModePayPerRequest,
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String("by-owner"),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("owner"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("total"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
			IndexName: aws.String("by-total"),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("total"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
}

func TestCreateAndDescribeTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, sb := client(t)
	kc := kms.NewFromConfig(sb.AWSConfig())
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:                 aws.String("locks"),
		KeySchema:                 []types.KeySchemaElement{{AttributeName: aws.String("LockID"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions:      []types.AttributeDefinition{{AttributeName: aws.String("LockID"), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:               types.BillingModePayPerRequest,
		SSESpecification:          &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms, KMSMasterKeyId: key.KeyMetadata.KeyId},
		StreamSpecification:       &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
		Tags:                      []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
		DeletionProtectionEnabled: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.TableDescription.TableStatus != types.TableStatusCreating {
		t.Errorf("CreateTable status = %s, want CREATING", out.TableDescription.TableStatus)
	}
	// The SDK's waiter sees it ACTIVE at once.
	w := dynamodb.NewTableExistsWaiter(c)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("locks")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("locks")})
	if err != nil {
		t.Fatal(err)
	}
	tb := d.Table
	arn := "arn:aws:dynamodb:us-east-1:" + sb.AccountID() + ":table/locks"
	switch {
	case tb.TableStatus != types.TableStatusActive:
		t.Errorf("status %s", tb.TableStatus)
	case aws.ToString(tb.TableArn) != arn:
		t.Errorf("arn %s", aws.ToString(tb.TableArn))
	case aws.ToString(tb.TableId) == "":
		t.Error("no TableId")
	case tb.CreationDateTime == nil || time.Since(*tb.CreationDateTime) > time.Minute:
		t.Errorf("CreationDateTime %v", tb.CreationDateTime)
	case aws.ToInt64(tb.ItemCount) != 0 || aws.ToInt64(tb.TableSizeBytes) != 0:
		t.Errorf("counts %d %d", aws.ToInt64(tb.ItemCount), aws.ToInt64(tb.TableSizeBytes))
	case tb.BillingModeSummary == nil || tb.BillingModeSummary.BillingMode != types.BillingModePayPerRequest:
		t.Errorf("BillingModeSummary %+v", tb.BillingModeSummary)
	case tb.ProvisionedThroughput == nil || aws.ToInt64(tb.ProvisionedThroughput.ReadCapacityUnits) != 0:
		t.Errorf("ProvisionedThroughput %+v", tb.ProvisionedThroughput)
	case tb.SSEDescription == nil || tb.SSEDescription.Status != types.SSEStatusEnabled || tb.SSEDescription.SSEType != types.SSETypeKms ||
		aws.ToString(tb.SSEDescription.KMSMasterKeyArn) != aws.ToString(key.KeyMetadata.Arn):
		t.Errorf("SSEDescription %+v", tb.SSEDescription)
	case tb.StreamSpecification == nil || !aws.ToBool(tb.StreamSpecification.StreamEnabled) || tb.StreamSpecification.StreamViewType != types.StreamViewTypeNewAndOldImages:
		t.Errorf("StreamSpecification %+v", tb.StreamSpecification)
	case !strings.HasPrefix(aws.ToString(tb.LatestStreamArn), arn+"/stream/") || aws.ToString(tb.LatestStreamLabel) == "":
		t.Errorf("stream %s %s", aws.ToString(tb.LatestStreamArn), aws.ToString(tb.LatestStreamLabel))
	case !aws.ToBool(tb.DeletionProtectionEnabled):
		t.Error("DeletionProtectionEnabled false")
	}

	_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("locks"),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("LockID"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("LockID"), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("creating it twice: want ResourceInUseException, got %v", err)
	}

	// Deletion protection.
	_, err = c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("locks")})
	wantCode(t, err, "ValidationException")
	if !strings.Contains(err.Error(), "protected against deletion") {
		t.Errorf("message: %v", err)
	}
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("locks"), DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	del, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("locks")})
	if err != nil || del.TableDescription.TableStatus != types.TableStatusDeleting {
		t.Fatalf("DeleteTable: %+v, %v", del, err)
	}
	if err := dynamodb.NewTableNotExistsWaiter(c).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("locks")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("locks")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "Requested resource not found: Table: locks not found") {
		t.Errorf("describe a deleted table: %v", err)
	}
}

func TestCreateTableValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	hash := []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}}
	defs := []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}}
	tests := []struct {
		name string
		in   *dynamodb.CreateTableInput
	}{
		{"bad name", &dynamodb.CreateTableInput{TableName: aws.String("a b"), KeySchema: hash, AttributeDefinitions: defs, BillingMode: types.BillingModePayPerRequest}},
		{"short name", &dynamodb.CreateTableInput{TableName: aws.String("ab"), KeySchema: hash, AttributeDefinitions: defs, BillingMode: types.BillingModePayPerRequest}},
		{"range first", &dynamodb.CreateTableInput{TableName: aws.String("t1"), KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeRange}}, AttributeDefinitions: defs, BillingMode: types.BillingModePayPerRequest}},
		{"undefined key attribute", &dynamodb.CreateTableInput{TableName: aws.String("t1"), KeySchema: hash, AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("other"), AttributeType: types.ScalarAttributeTypeS}}, BillingMode: types.BillingModePayPerRequest}},
		{"extra definition", &dynamodb.CreateTableInput{TableName: aws.String("t1"), KeySchema: hash, AttributeDefinitions: append(defs, types.AttributeDefinition{AttributeName: aws.String("x"), AttributeType: types.ScalarAttributeTypeS}), BillingMode: types.BillingModePayPerRequest}},
		{"provisioned without throughput", &dynamodb.CreateTableInput{TableName: aws.String("t1"), KeySchema: hash, AttributeDefinitions: defs}},
		{"on-demand with throughput", &dynamodb.CreateTableInput{TableName: aws.String("t1"), KeySchema: hash, AttributeDefinitions: defs, BillingMode: types.BillingModePayPerRequest, ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}}},
		{"lsi without range key", &dynamodb.CreateTableInput{TableName: aws.String("t1"), KeySchema: hash, AttributeDefinitions: defs, BillingMode: types.BillingModePayPerRequest,
			LocalSecondaryIndexes: []types.LocalSecondaryIndex{{IndexName: aws.String("lsi"), KeySchema: hash, Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}}},
		{"sse key that does not exist", &dynamodb.CreateTableInput{TableName: aws.String("t1"), KeySchema: hash, AttributeDefinitions: defs, BillingMode: types.BillingModePayPerRequest,
			SSESpecification: &types.SSESpecification{Enabled: aws.Bool(true), KMSMasterKeyId: aws.String("11111111-2222-3333-4444-555555555555")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateTable(ctx, tt.in)
			wantCode(t, err, "ValidationException")
		})
	}
}

func TestProvisionedTableAndUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:             aws.String("prov"),
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("prov")})
	if d.Table.BillingModeSummary != nil {
		t.Errorf("a table created PROVISIONED has no BillingModeSummary (like AWS): %+v", d.Table.BillingModeSummary)
	}
	if aws.ToInt64(d.Table.ProvisionedThroughput.ReadCapacityUnits) != 5 || aws.ToInt64(d.Table.ProvisionedThroughput.WriteCapacityUnits) != 2 {
		t.Errorf("throughput %+v", d.Table.ProvisionedThroughput)
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("prov")})
	wantCode(t, err, "ValidationException")

	// Add a GSI, then switch to on-demand, then delete the GSI.
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
		TableName:            aws.String("prov"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("email"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName:             aws.String("by-email"),
			KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("email"), KeyType: types.KeyTypeHash}},
			Projection:            &types.Projection{ProjectionType: types.ProjectionTypeAll},
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("prov")})
	if len(d.Table.GlobalSecondaryIndexes) != 1 || d.Table.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusActive ||
		d.Table.GlobalSecondaryIndexes[0].ProvisionedThroughput == nil || len(d.Table.AttributeDefinitions) != 2 {
		t.Fatalf("after adding a GSI: %+v", d.Table)
	}
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("prov"), BillingMode: types.BillingModePayPerRequest}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("prov")})
	if d.Table.BillingModeSummary == nil || d.Table.BillingModeSummary.BillingMode != types.BillingModePayPerRequest ||
		d.Table.BillingModeSummary.LastUpdateToPayPerRequestDateTime == nil {
		t.Errorf("after switching to on-demand: %+v", d.Table.BillingModeSummary)
	}
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("prov"), GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
		{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("by-email")}},
	}}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("prov")})
	if len(d.Table.GlobalSecondaryIndexes) != 0 || len(d.Table.AttributeDefinitions) != 1 {
		t.Errorf("after deleting the GSI: %+v", d.Table)
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("prov"), GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
		{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("by-email")}},
	}})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("nope"), DeletionProtectionEnabled: aws.Bool(true)})
	wantCode(t, err, "ResourceNotFoundException")

	// Settings the sandbox only records are still reported back.
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("prov"), TableClass: types.TableClassStandardInfrequentAccess,
		WarmThroughput: &types.WarmThroughput{ReadUnitsPerSecond: aws.Int64(13000), WriteUnitsPerSecond: aws.Int64(5000)}}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("prov")})
	if d.Table.TableClassSummary == nil || d.Table.TableClassSummary.TableClass != types.TableClassStandardInfrequentAccess ||
		d.Table.WarmThroughput == nil || aws.ToInt64(d.Table.WarmThroughput.ReadUnitsPerSecond) != 13000 || d.Table.WarmThroughput.Status != types.TableStatusActive {
		t.Errorf("table class and warm throughput: %+v %+v", d.Table.TableClassSummary, d.Table.WarmThroughput)
	}
}

func TestListTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	for _, n := range []string{"t-c", "t-a", "t-b", "t-e", "t-d"} {
		lockTable(t, c, n)
	}
	var names []string
	pages := 0
	p := dynamodb.NewListTablesPaginator(c, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		names = append(names, out.TableNames...)
	}
	if strings.Join(names, ",") != "t-a,t-b,t-c,t-d,t-e" || pages != 3 {
		t.Errorf("tables %v in %d pages", names, pages)
	}
}

func TestTimeToLiveAndBackups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	lockTable(t, c, "ttl")
	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("ttl")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		t.Fatalf("initial TTL: %+v, %v", ttl, err)
	}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("ttl"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	ttl, _ = c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("ttl")})
	if ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "expires" {
		t.Errorf("TTL after enabling: %+v", ttl.TimeToLiveDescription)
	}
	_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("ttl"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires"), Enabled: aws.Bool(true)}})
	wantCode(t, err, "ValidationException")

	b, err := c.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("ttl")})
	if err != nil || b.ContinuousBackupsDescription.ContinuousBackupsStatus != types.ContinuousBackupsStatusEnabled ||
		b.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusDisabled {
		t.Fatalf("initial backups: %+v, %v", b, err)
	}
	u, err := c.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("ttl"),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	pitr := u.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if pitr.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled || aws.ToInt32(pitr.RecoveryPeriodInDays) != 35 || pitr.EarliestRestorableDateTime == nil {
		t.Errorf("PITR after enabling: %+v", pitr)
	}
	_, err = c.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("nope")})
	var tnf *types.TableNotFoundException
	if !errors.As(err, &tnf) {
		t.Errorf("continuous backups of a missing table: want TableNotFoundException, got %v", err)
	}
	_, err = c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("nope")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	lockTable(t, c, "tagged")
	d, _ := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tagged")})
	arn := d.Table.TableArn
	var tags []types.Tag
	for _, k := range []string{"k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", "k11", "k12"} {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String("v" + k)})
	}
	if _, err := c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"k01"}}); err != nil {
		t.Fatal(err)
	}
	var got []types.Tag
	var token *string
	for {
		out, err := c.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: arn, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.Tags...)
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if len(got) != 11 || aws.ToString(got[0].Key) != "k02" {
		t.Errorf("tags after paging: %d, first %s", len(got), aws.ToString(got[0].Key))
	}
	missing := strings.Replace(aws.ToString(arn), "tagged", "missing", 1)
	_, err := c.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(missing)})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String("not-an-arn"), Tags: tags[:1]})
	wantCode(t, err, "ValidationException")
}

func TestManagedSSEKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, sb := client(t)
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("sse"),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:          types.BillingModePayPerRequest,
		SSESpecification:     &types.SSESpecification{Enabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("sse")})
	k, err := kms.NewFromConfig(sb.AWSConfig()).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dynamodb")})
	if err != nil {
		t.Fatal(err)
	}
	if d.Table.SSEDescription == nil || aws.ToString(d.Table.SSEDescription.KMSMasterKeyArn) != aws.ToString(k.KeyMetadata.Arn) {
		t.Errorf("SSE with the AWS managed key: %+v vs %s", d.Table.SSEDescription, aws.ToString(k.KeyMetadata.Arn))
	}
}
