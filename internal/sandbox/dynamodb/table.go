package dynamodb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/kms"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type gsiInput struct {
	IndexName             string                 `json:"IndexName"`
	KeySchema             []keySchemaElement     `json:"KeySchema"`
	Projection            *projection            `json:"Projection"`
	ProvisionedThroughput *provisionedThroughput `json:"ProvisionedThroughput"`
	OnDemandThroughput    *onDemandThroughput    `json:"OnDemandThroughput"`
	WarmThroughput        *warmThroughput        `json:"WarmThroughput"`
}

type streamSpecification struct {
	StreamEnabled  *bool  `json:"StreamEnabled"`
	StreamViewType string `json:"StreamViewType,omitempty"`
}

type sseSpecification struct {
	Enabled        *bool  `json:"Enabled"`
	SSEType        string `json:"SSEType"`
	KMSMasterKeyID string `json:"KMSMasterKeyId"`
}

type createTableInput struct {
	TableName                 string                 `json:"TableName"`
	KeySchema                 []keySchemaElement     `json:"KeySchema"`
	AttributeDefinitions      []attributeDefinition  `json:"AttributeDefinitions"`
	BillingMode               string                 `json:"BillingMode"`
	ProvisionedThroughput     *provisionedThroughput `json:"ProvisionedThroughput"`
	GlobalSecondaryIndexes    []gsiInput             `json:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes     []gsiInput             `json:"LocalSecondaryIndexes"`
	StreamSpecification       *streamSpecification   `json:"StreamSpecification"`
	SSESpecification          *sseSpecification      `json:"SSESpecification"`
	Tags                      []tag                  `json:"Tags"`
	TableClass                string                 `json:"TableClass"`
	DeletionProtectionEnabled *bool                  `json:"DeletionProtectionEnabled"`
	OnDemandThroughput        *onDemandThroughput    `json:"OnDemandThroughput"`
	ResourcePolicy            string                 `json:"ResourcePolicy"`
	WarmThroughput            *warmThroughput        `json:"WarmThroughput"`
}

const (
	payPerRequest = "PAY_PER_REQUEST"
	provisioned   = "PROVISIONED"
)

func newTableID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// checkKeySchema validates a table's or index's key schema.
func checkKeySchema(ks []keySchemaElement, what string) error {
	if len(ks) < 1 || len(ks) > 2 {
		return validation("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must have length less than or equal to 2 and greater than or equal to 1", ks, what)
	}
	if ks[0].KeyType != "HASH" {
		return validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(ks) == 2 {
		if ks[1].KeyType != "RANGE" {
			return validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		if ks[0].AttributeName == ks[1].AttributeName {
			return validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
	}
	for _, k := range ks {
		if k.AttributeName == "" || len(k.AttributeName) > 255 {
			return validation("1 validation error detected: Value '%s' at '%s.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255 and greater than or equal to 1", k.AttributeName, what)
		}
	}
	return nil
}

// checkThroughput validates throughput against the billing mode.
func checkThroughput(pt *provisionedThroughput, mode, what string) (r, w int64, err error) {
	if mode == payPerRequest {
		if pt != nil && (pt.ReadCapacityUnits != nil || pt.WriteCapacityUnits != nil) {
			return 0, 0, validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		return 0, 0, nil
	}
	if pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
		if what == "" {
			return 0, 0, validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		return 0, 0, validation("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", what)
	}
	if *pt.ReadCapacityUnits < 1 || *pt.WriteCapacityUnits < 1 {
		return 0, 0, validation("One or more parameter values were invalid: Provisioned throughput for ReadCapacityUnits and WriteCapacityUnits must be at least 1")
	}
	return *pt.ReadCapacityUnits, *pt.WriteCapacityUnits, nil
}

func checkProjection(p *projection, index string) (projection, error) {
	if p == nil || p.ProjectionType == "" {
		return projection{}, validation("One or more parameter values were invalid: Projection must be specified for index: %s", index)
	}
	switch p.ProjectionType {
	case "ALL", "KEYS_ONLY":
		if len(p.NonKeyAttributes) > 0 {
			return projection{}, validation("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", p.ProjectionType)
		}
	case "INCLUDE":
		if len(p.NonKeyAttributes) == 0 {
			return projection{}, validation("One or more parameter values were invalid: NonKeyAttributes must be specified when ProjectionType is INCLUDE")
		}
	default:
		return projection{}, validation("1 validation error detected: Value '%s' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]", p.ProjectionType)
	}
	return *p, nil
}

func checkTags(tags []tag) error {
	if len(tags) > 50 {
		return validation("One or more parameter values were invalid: Too many tags")
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return validation("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length less than or equal to 128 and greater than or equal to 1", t.Key)
		}
		if len(t.Value) > 256 {
			return validation("1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
		}
		if strings.HasPrefix(t.Key, "aws:") {
			return validation("One or more parameter values were invalid: Tag keys cannot start with the reserved prefix aws:")
		}
	}
	return nil
}

// mergeTags sets tags over old, keeping keys sorted.
func mergeTags(old, set []tag) []tag {
	m := map[string]string{}
	for _, t := range old {
		m[t.Key] = t.Value
	}
	for _, t := range set {
		m[t.Key] = t.Value
	}
	out := make([]tag, 0, len(m))
	for k, v := range m {
		out = append(out, tag{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// sseKey resolves an SSESpecification to the KMS key ARN that protects the
// table ("" for the AWS owned key).
func (s *Service) sseKey(tx *state.Tx, region string, sse *sseSpecification) (string, error) {
	if sse == nil || sse.Enabled == nil || !*sse.Enabled {
		if sse != nil && sse.KMSMasterKeyID != "" {
			return "", validation("One or more parameter values were invalid: KMSMasterKeyId can only be specified when SSE is enabled")
		}
		return "", nil
	}
	if sse.SSEType != "" && sse.SSEType != "KMS" {
		return "", validation("One or more parameter values were invalid: Unsupported SSEType: %s", sse.SSEType)
	}
	if sse.KMSMasterKeyID == "" {
		return kms.ManagedKeyARN(tx, s.env, region, "dynamodb")
	}
	arn, err := kms.KeyARN(tx, s.env, region, sse.KMSMasterKeyID)
	if err != nil {
		var pe *protocol.Error
		if asProtocol(err, &pe) {
			return "", validation("One or more parameter values were invalid: KMSMasterKeyId %s: %s", sse.KMSMasterKeyID, pe.Message)
		}
		return "", err
	}
	return arn, nil
}

func asProtocol(err error, pe **protocol.Error) bool {
	e, ok := err.(*protocol.Error)
	if ok {
		*pe = e
	}
	return ok
}

// buildIndexes validates the table's secondary indexes and the attribute
// definitions they need.
func buildIndexes(t *tableDoc, gsis, lsis []gsiInput) error {
	used := map[string]bool{}
	for _, k := range t.KeySchema {
		used[k.AttributeName] = true
	}
	names := map[string]bool{}
	if len(gsis) > 20 {
		return validation("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20")
	}
	if len(lsis) > 5 {
		return validation("One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5")
	}
	for _, g := range gsis {
		ix, err := buildGSI(g, t.BillingMode)
		if err != nil {
			return err
		}
		if names[ix.Name] {
			return validation("One or more parameter values were invalid: Duplicate index name: %s", ix.Name)
		}
		names[ix.Name] = true
		for _, k := range ix.KeySchema {
			used[k.AttributeName] = true
		}
		t.GSIs = append(t.GSIs, ix)
	}
	for _, l := range lsis {
		if err := checkTableName(l.IndexName, "indexName"); err != nil {
			return err
		}
		if err := checkKeySchema(l.KeySchema, "localSecondaryIndexes.member.keySchema"); err != nil {
			return err
		}
		if t.rangeKey() == "" {
			return validation("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
		}
		if len(l.KeySchema) != 2 || l.KeySchema[0].AttributeName != t.hashKey() {
			return validation("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s", l.IndexName, l.KeySchema[0].AttributeName, t.hashKey())
		}
		p, err := checkProjection(l.Projection, l.IndexName)
		if err != nil {
			return err
		}
		if names[l.IndexName] {
			return validation("One or more parameter values were invalid: Duplicate index name: %s", l.IndexName)
		}
		names[l.IndexName] = true
		for _, k := range l.KeySchema {
			used[k.AttributeName] = true
		}
		t.LSIs = append(t.LSIs, indexDoc{Name: l.IndexName, KeySchema: l.KeySchema, Projection: p})
	}
	return checkAttributeDefinitions(t.AttributeDefinitions, used)
}

func buildGSI(g gsiInput, mode string) (indexDoc, error) {
	if err := checkTableName(g.IndexName, "indexName"); err != nil {
		return indexDoc{}, err
	}
	if err := checkKeySchema(g.KeySchema, "globalSecondaryIndexes.member.keySchema"); err != nil {
		return indexDoc{}, err
	}
	p, err := checkProjection(g.Projection, g.IndexName)
	if err != nil {
		return indexDoc{}, err
	}
	r, w, err := checkThroughput(g.ProvisionedThroughput, mode, g.IndexName)
	if err != nil {
		return indexDoc{}, err
	}
	return indexDoc{Name: g.IndexName, KeySchema: g.KeySchema, Projection: p, Read: r, Write: w, OnDemand: g.OnDemandThroughput, Warm: g.WarmThroughput}, nil
}

// checkAttributeDefinitions requires exactly the key attributes of the
// table and its indexes to be defined, each once, as S, N or B.
func checkAttributeDefinitions(defs []attributeDefinition, used map[string]bool) error {
	defined := map[string]bool{}
	var names []string
	for _, d := range defs {
		if d.AttributeType != "S" && d.AttributeType != "N" && d.AttributeType != "B" {
			return validation("1 validation error detected: Value '%s' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", d.AttributeType)
		}
		if defined[d.AttributeName] {
			return validation("Cannot have two attributes with the same name. Attribute name: %s", d.AttributeName)
		}
		defined[d.AttributeName] = true
		names = append(names, d.AttributeName)
	}
	var keys []string
	for k := range used {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sort.Strings(names)
	for _, k := range keys {
		if !defined[k] {
			return validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", strings.Join(keys, ", "), strings.Join(names, ", "))
		}
	}
	if len(defined) != len(used) {
		return validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	return nil
}

func (s *Service) createTable(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in createTableInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkTableName(in.TableName, "tableName"); err != nil {
		return nil, err
	}
	if err := checkKeySchema(in.KeySchema, "keySchema"); err != nil {
		return nil, err
	}
	mode := in.BillingMode
	if mode == "" {
		mode = provisioned
	}
	if mode != provisioned && mode != payPerRequest {
		return nil, validation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", mode)
	}
	rc, wc, err := checkThroughput(in.ProvisionedThroughput, mode, "")
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if in.TableClass != "" && in.TableClass != "STANDARD" && in.TableClass != "STANDARD_INFREQUENT_ACCESS" {
		return nil, validation("1 validation error detected: Value '%s' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]", in.TableClass)
	}
	if in.ResourcePolicy != "" {
		return nil, protocol.NotImplemented("dynamodb", "CreateTable with a ResourcePolicy")
	}
	now := s.env.Now().UTC()
	region := s.env.RegionOf(r)
	t := &tableDoc{
		Name: in.TableName, Region: region, ID: newTableID(), ARN: s.env.ARN("dynamodb", region, "table/"+in.TableName),
		Created: now, KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions, BillingMode: mode,
		BillingSummary: mode == payPerRequest, Read: rc, Write: wc, TableClass: in.TableClass,
		OnDemand: in.OnDemandThroughput, Warm: in.WarmThroughput, Tags: mergeTags(nil, in.Tags),
	}
	if mode == payPerRequest {
		t.LastPayPerRequest = &now
	}
	if in.DeletionProtectionEnabled != nil {
		t.DeletionProtection = *in.DeletionProtectionEnabled
	}
	if err := buildIndexes(t, in.GlobalSecondaryIndexes, in.LocalSecondaryIndexes); err != nil {
		return nil, err
	}
	if err := setStream(t, in.StreamSpecification, now); err != nil {
		return nil, err
	}
	var desc *tableDescription
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		exists, err := tx.Exists(nsTable, region+"/"+in.TableName)
		if err != nil {
			return err
		}
		if exists {
			return errorf("ResourceInUseException", "Table already exists: %s", in.TableName)
		}
		if t.SSEKMSKeyARN, err = s.sseKey(tx, region, in.SSESpecification); err != nil {
			return err
		}
		if err := saveTable(tx, t); err != nil {
			return err
		}
		desc, err = s.describe(tx, t, "CREATING")
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": desc}, nil
}

// setStream applies a StreamSpecification.
func setStream(t *tableDoc, spec *streamSpecification, now time.Time) error {
	if spec == nil || spec.StreamEnabled == nil {
		return nil
	}
	if !*spec.StreamEnabled {
		if spec.StreamViewType != "" {
			return validation("One or more parameter values were invalid: StreamViewType cannot be specified when StreamEnabled is false")
		}
		t.StreamEnabled = false
		return nil
	}
	switch spec.StreamViewType {
	case "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY":
	case "":
		return validation("One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true")
	default:
		return validation("1 validation error detected: Value '%s' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]", spec.StreamViewType)
	}
	if t.StreamEnabled {
		return validation("Table already has an enabled stream: %s", t.ARN+"/stream/"+t.StreamLabel)
	}
	t.StreamEnabled, t.StreamViewType = true, spec.StreamViewType
	t.StreamLabel = now.Format("2006-01-02T15:04:05.000")
	return nil
}

// Output shapes.

type throughputDescription struct {
	LastDecreaseDateTime   *epoch `json:"LastDecreaseDateTime,omitempty"`
	LastIncreaseDateTime   *epoch `json:"LastIncreaseDateTime,omitempty"`
	NumberOfDecreasesToday int64  `json:"NumberOfDecreasesToday"`
	ReadCapacityUnits      int64  `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64  `json:"WriteCapacityUnits"`
}

type indexDescription struct {
	IndexName             string                 `json:"IndexName"`
	KeySchema             []keySchemaElement     `json:"KeySchema"`
	Projection            projection             `json:"Projection"`
	IndexStatus           string                 `json:"IndexStatus,omitempty"`
	ProvisionedThroughput *throughputDescription `json:"ProvisionedThroughput,omitempty"`
	OnDemandThroughput    *onDemandThroughput    `json:"OnDemandThroughput,omitempty"`
	WarmThroughput        map[string]any         `json:"WarmThroughput,omitempty"`
	IndexSizeBytes        int64                  `json:"IndexSizeBytes"`
	ItemCount             int64                  `json:"ItemCount"`
	IndexArn              string                 `json:"IndexArn"`
}

type tableDescription struct {
	AttributeDefinitions      []attributeDefinition `json:"AttributeDefinitions"`
	BillingModeSummary        map[string]any        `json:"BillingModeSummary,omitempty"`
	CreationDateTime          *epoch                `json:"CreationDateTime"`
	DeletionProtectionEnabled bool                  `json:"DeletionProtectionEnabled"`
	GlobalSecondaryIndexes    []indexDescription    `json:"GlobalSecondaryIndexes,omitempty"`
	ItemCount                 int64                 `json:"ItemCount"`
	KeySchema                 []keySchemaElement    `json:"KeySchema"`
	LatestStreamArn           string                `json:"LatestStreamArn,omitempty"`
	LatestStreamLabel         string                `json:"LatestStreamLabel,omitempty"`
	LocalSecondaryIndexes     []indexDescription    `json:"LocalSecondaryIndexes,omitempty"`
	OnDemandThroughput        *onDemandThroughput   `json:"OnDemandThroughput,omitempty"`
	ProvisionedThroughput     throughputDescription `json:"ProvisionedThroughput"`
	SSEDescription            map[string]any        `json:"SSEDescription,omitempty"`
	StreamSpecification       *streamSpecification  `json:"StreamSpecification,omitempty"`
	TableArn                  string                `json:"TableArn"`
	TableClassSummary         map[string]any        `json:"TableClassSummary,omitempty"`
	TableID                   string                `json:"TableId"`
	TableName                 string                `json:"TableName"`
	TableSizeBytes            int64                 `json:"TableSizeBytes"`
	TableStatus               string                `json:"TableStatus"`
	WarmThroughput            map[string]any        `json:"WarmThroughput,omitempty"`
}

// describe renders a table's TableDescription with the given status.
func (s *Service) describe(tx *state.Tx, t *tableDoc, status string) (*tableDescription, error) {
	st, err := loadStats(tx, t.ID)
	if err != nil {
		return nil, err
	}
	d := &tableDescription{
		AttributeDefinitions: t.AttributeDefinitions, CreationDateTime: ep(t.Created),
		DeletionProtectionEnabled: t.DeletionProtection, ItemCount: st.Count, KeySchema: t.KeySchema,
		OnDemandThroughput: t.OnDemand, TableArn: t.ARN, TableID: t.ID, TableName: t.Name,
		TableSizeBytes: st.Bytes, TableStatus: status, WarmThroughput: describeWarm(t.Warm),
		ProvisionedThroughput: throughputDescription{ReadCapacityUnits: t.Read, WriteCapacityUnits: t.Write},
	}
	if t.LastIncrease != nil {
		d.ProvisionedThroughput.LastIncreaseDateTime = ep(*t.LastIncrease)
	}
	if t.LastDecrease != nil {
		d.ProvisionedThroughput.LastDecreaseDateTime = ep(*t.LastDecrease)
	}
	if t.BillingSummary {
		bs := map[string]any{"BillingMode": t.BillingMode}
		if t.LastPayPerRequest != nil {
			bs["LastUpdateToPayPerRequestDateTime"] = ep(*t.LastPayPerRequest)
		}
		d.BillingModeSummary = bs
	}
	idxStatus := "ACTIVE"
	if status == "CREATING" {
		idxStatus = "CREATING"
	}
	for _, g := range t.GSIs {
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, indexDescription{
			IndexName: g.Name, KeySchema: g.KeySchema, Projection: g.Projection, IndexStatus: idxStatus,
			ProvisionedThroughput: &throughputDescription{ReadCapacityUnits: g.Read, WriteCapacityUnits: g.Write},
			OnDemandThroughput:    g.OnDemand, WarmThroughput: describeWarm(g.Warm), IndexArn: t.ARN + "/index/" + g.Name,
		})
	}
	for _, l := range t.LSIs {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, indexDescription{
			IndexName: l.Name, KeySchema: l.KeySchema, Projection: l.Projection, IndexArn: t.ARN + "/index/" + l.Name,
		})
	}
	if t.StreamLabel != "" {
		d.LatestStreamLabel = t.StreamLabel
		d.LatestStreamArn = t.ARN + "/stream/" + t.StreamLabel
	}
	if t.StreamEnabled {
		on := true
		d.StreamSpecification = &streamSpecification{StreamEnabled: &on, StreamViewType: t.StreamViewType}
	}
	if t.SSEKMSKeyARN != "" {
		d.SSEDescription = map[string]any{"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": t.SSEKMSKeyARN}
	}
	if t.TableClass != "" {
		d.TableClassSummary = map[string]any{"TableClass": t.TableClass}
	}
	return d, nil
}

type tableNameInput struct {
	TableName string `json:"TableName"`
}

func (s *Service) describeTable(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	var desc *tableDescription
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, tableNotFound(name))
		if err != nil {
			return err
		}
		desc, err = s.describe(tx, t, "ACTIVE")
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": desc}, nil
}

func (s *Service) deleteTable(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	var desc *tableDescription
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, tableNotFound(name))
		if err != nil {
			return err
		}
		if t.DeletionProtection {
			return validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
		}
		if desc, err = s.describe(tx, t, "DELETING"); err != nil {
			return err
		}
		if err := tx.DeletePrefix(t.itemNS(), ""); err != nil {
			return err
		}
		if err := tx.Delete(nsStats, t.ID); err != nil {
			return err
		}
		return tx.Delete(nsTable, region+"/"+name)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": desc}, nil
}

type listTablesInput struct {
	ExclusiveStartTableName string `json:"ExclusiveStartTableName"`
	Limit                   *int   `json:"Limit"`
}

func (s *Service) listTables(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in listTablesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	n := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100 and greater than or equal to 1", *in.Limit)
		}
		n = *in.Limit
	}
	region := s.env.RegionOf(r)
	names := []string{}
	more := false
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		after := ""
		if in.ExclusiveStartTableName != "" {
			after = region + "/" + in.ExclusiveStartTableName
		}
		ents, err := tx.List(state.ListParams{NS: nsTable, Prefix: region + "/", After: after, Limit: n + 1})
		if err != nil {
			return err
		}
		for i, e := range ents {
			if i == n {
				more = true
				break
			}
			names = append(names, strings.TrimPrefix(e.Key, region+"/"))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"TableNames": names}
	if more {
		out["LastEvaluatedTableName"] = names[len(names)-1]
	}
	return out, nil
}

type updateTableInput struct {
	TableName                   string                 `json:"TableName"`
	AttributeDefinitions        []attributeDefinition  `json:"AttributeDefinitions"`
	BillingMode                 string                 `json:"BillingMode"`
	ProvisionedThroughput       *provisionedThroughput `json:"ProvisionedThroughput"`
	GlobalSecondaryIndexUpdates []struct {
		Create *gsiInput `json:"Create"`
		Update *struct {
			IndexName             string                 `json:"IndexName"`
			ProvisionedThroughput *provisionedThroughput `json:"ProvisionedThroughput"`
			OnDemandThroughput    *onDemandThroughput    `json:"OnDemandThroughput"`
			WarmThroughput        *warmThroughput        `json:"WarmThroughput"`
		} `json:"Update"`
		Delete *struct {
			IndexName string `json:"IndexName"`
		} `json:"Delete"`
	} `json:"GlobalSecondaryIndexUpdates"`
	StreamSpecification       *streamSpecification `json:"StreamSpecification"`
	SSESpecification          *sseSpecification    `json:"SSESpecification"`
	ReplicaUpdates            json.RawMessage      `json:"ReplicaUpdates"`
	TableClass                string               `json:"TableClass"`
	DeletionProtectionEnabled *bool                `json:"DeletionProtectionEnabled"`
	OnDemandThroughput        *onDemandThroughput  `json:"OnDemandThroughput"`
	WarmThroughput            *warmThroughput      `json:"WarmThroughput"`
	MultiRegionConsistency    string               `json:"MultiRegionConsistency"`
}

func (s *Service) updateTable(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in updateTableInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	if len(in.ReplicaUpdates) > 0 && string(in.ReplicaUpdates) != "null" || in.MultiRegionConsistency != "" {
		return nil, protocol.NotImplemented("dynamodb", "UpdateTable with ReplicaUpdates (global tables)")
	}
	if in.BillingMode == "" && in.ProvisionedThroughput == nil && len(in.GlobalSecondaryIndexUpdates) == 0 &&
		in.StreamSpecification == nil && in.SSESpecification == nil && in.TableClass == "" &&
		in.DeletionProtectionEnabled == nil && in.OnDemandThroughput == nil && in.WarmThroughput == nil {
		return nil, validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	var desc *tableDescription
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, tableNotFound(name))
		if err != nil {
			return err
		}
		if err := s.applyTableUpdate(tx, t, &in); err != nil {
			return err
		}
		if err := saveTable(tx, t); err != nil {
			return err
		}
		desc, err = s.describe(tx, t, "ACTIVE")
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": desc}, nil
}

func (s *Service) applyTableUpdate(tx *state.Tx, t *tableDoc, in *updateTableInput) error {
	now := s.env.Now().UTC()
	mode := t.BillingMode
	if in.BillingMode != "" {
		if in.BillingMode != provisioned && in.BillingMode != payPerRequest {
			return validation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", in.BillingMode)
		}
		mode = in.BillingMode
	}
	if mode != t.BillingMode || in.ProvisionedThroughput != nil {
		pt := in.ProvisionedThroughput
		if mode == provisioned && pt == nil && t.BillingMode == provisioned {
			pt = &provisionedThroughput{ReadCapacityUnits: &t.Read, WriteCapacityUnits: &t.Write}
		}
		rc, wc, err := checkThroughput(pt, mode, "")
		if err != nil {
			return err
		}
		if mode == provisioned && t.BillingMode == provisioned && in.BillingMode == "" && rc == t.Read && wc == t.Write && in.ProvisionedThroughput != nil {
			return validation("The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.", t.Read, rc, t.Write, wc)
		}
		if rc > t.Read || wc > t.Write {
			t.LastIncrease = &now
		}
		if rc < t.Read || wc < t.Write {
			t.LastDecrease = &now
		}
		if mode != t.BillingMode {
			t.BillingSummary = true
			if mode == payPerRequest {
				t.LastPayPerRequest = &now
				for i := range t.GSIs {
					t.GSIs[i].Read, t.GSIs[i].Write = 0, 0
				}
			}
		}
		t.BillingMode, t.Read, t.Write = mode, rc, wc
	}
	if len(in.AttributeDefinitions) > 0 {
		for _, d := range in.AttributeDefinitions {
			if cur := t.attrType(d.AttributeName); cur != "" && cur != d.AttributeType {
				return validation("One or more parameter values were invalid: Attribute %s is already defined with type %s", d.AttributeName, cur)
			}
		}
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Create != nil:
			ix, err := buildGSI(*u.Create, t.BillingMode)
			if err != nil {
				return err
			}
			if _, exists := t.index(ix.Name); exists || hasLSI(t, ix.Name) {
				return validation("One or more parameter values were invalid: Index %s already exists", ix.Name)
			}
			if len(t.GSIs) >= 20 {
				return errorf("LimitExceededException", "Subscriber limit exceeded: the number of global secondary indexes per table is 20")
			}
			defs := t.AttributeDefinitions
			for _, k := range ix.KeySchema {
				typ := t.attrType(k.AttributeName)
				for _, d := range in.AttributeDefinitions {
					if d.AttributeName == k.AttributeName {
						typ = d.AttributeType
						if t.attrType(k.AttributeName) == "" {
							defs = append(defs, d)
						}
					}
				}
				if typ == "" {
					return validation("One or more parameter values were invalid: Global Secondary Index key attribute %s is not defined in AttributeDefinitions", k.AttributeName)
				}
			}
			t.AttributeDefinitions = defs
			t.GSIs = append(t.GSIs, ix)
		case u.Update != nil:
			ix, isGSI := t.index(u.Update.IndexName)
			if ix == nil || !isGSI {
				return errorf("ResourceNotFoundException", "Requested resource not found: Index: %s not found for table %s", u.Update.IndexName, t.Name)
			}
			if u.Update.ProvisionedThroughput != nil {
				rc, wc, err := checkThroughput(u.Update.ProvisionedThroughput, t.BillingMode, ix.Name)
				if err != nil {
					return err
				}
				ix.Read, ix.Write = rc, wc
			}
			if u.Update.OnDemandThroughput != nil {
				ix.OnDemand = u.Update.OnDemandThroughput
			}
			if u.Update.WarmThroughput != nil {
				ix.Warm = u.Update.WarmThroughput
			}
		case u.Delete != nil:
			kept := t.GSIs[:0]
			found := false
			for _, g := range t.GSIs {
				if g.Name == u.Delete.IndexName {
					found = true
					continue
				}
				kept = append(kept, g)
			}
			if !found {
				return errorf("ResourceNotFoundException", "Requested resource not found: Index: %s not found for table %s", u.Delete.IndexName, t.Name)
			}
			t.GSIs = kept
			t.AttributeDefinitions = pruneDefinitions(t)
		default:
			return validation("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, Update or Delete must be specified")
		}
	}
	if mode == provisioned {
		for _, g := range t.GSIs {
			if g.Read == 0 || g.Write == 0 {
				return validation("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", g.Name)
			}
		}
	}
	if in.StreamSpecification != nil {
		if in.StreamSpecification.StreamEnabled != nil && !*in.StreamSpecification.StreamEnabled && !t.StreamEnabled {
			return validation("Table already has no stream enabled")
		}
		if err := setStream(t, in.StreamSpecification, now); err != nil {
			return err
		}
	}
	if in.SSESpecification != nil {
		arn, err := s.sseKey(tx, t.Region, in.SSESpecification)
		if err != nil {
			return err
		}
		t.SSEKMSKeyARN = arn
	}
	if in.TableClass != "" {
		if in.TableClass != "STANDARD" && in.TableClass != "STANDARD_INFREQUENT_ACCESS" {
			return validation("1 validation error detected: Value '%s' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]", in.TableClass)
		}
		t.TableClass = in.TableClass
	}
	if in.DeletionProtectionEnabled != nil {
		t.DeletionProtection = *in.DeletionProtectionEnabled
	}
	if in.OnDemandThroughput != nil {
		t.OnDemand = in.OnDemandThroughput
	}
	if in.WarmThroughput != nil {
		t.Warm = in.WarmThroughput
	}
	return nil
}

func hasLSI(t *tableDoc, name string) bool {
	for _, l := range t.LSIs {
		if l.Name == name {
			return true
		}
	}
	return false
}

// pruneDefinitions keeps the attribute definitions still used by a key.
func pruneDefinitions(t *tableDoc) []attributeDefinition {
	used := map[string]bool{}
	for _, k := range t.KeySchema {
		used[k.AttributeName] = true
	}
	for _, ix := range append(append([]indexDoc{}, t.GSIs...), t.LSIs...) {
		for _, k := range ix.KeySchema {
			used[k.AttributeName] = true
		}
	}
	var out []attributeDefinition
	for _, d := range t.AttributeDefinitions {
		if used[d.AttributeName] {
			out = append(out, d)
		}
	}
	return out
}
