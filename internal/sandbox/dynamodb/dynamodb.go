package dynamodb

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/expr"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TargetPrefix is DynamoDB's X-Amz-Target prefix (JSON 1.0).
const TargetPrefix = "DynamoDB_20120810"

// State namespaces.
const (
	nsTable = "dynamodb/table" // region/name → tableDoc
	nsStats = "dynamodb/stats" // table id → statsDoc
	nsItem  = "dynamodb/item/" // + table id: encoded primary key → item
)

// Service is the sandbox's DynamoDB.
type Service struct {
	*service.JSON
	env service.Env
}

// New builds the DynamoDB service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.JSON = &service.JSON{ServiceName: "dynamodb", Version: "1.0", Prefixes: []string{TargetPrefix}, Logger: env.Logger, Ops: s.ops()}
	return s
}

func (s *Service) ops() map[string]service.JSONOp {
	return map[string]service.JSONOp{
		"CreateTable":               s.createTable,
		"DescribeTable":             s.describeTable,
		"UpdateTable":               s.updateTable,
		"DeleteTable":               s.deleteTable,
		"ListTables":                s.listTables,
		"DescribeContinuousBackups": s.describeContinuousBackups,
		"UpdateContinuousBackups":   s.updateContinuousBackups,
		"DescribeTimeToLive":        s.describeTimeToLive,
		"UpdateTimeToLive":          s.updateTimeToLive,
		"TagResource":               s.tagResource,
		"UntagResource":             s.untagResource,
		"ListTagsOfResource":        s.listTagsOfResource,
		"PutItem":                   s.putItem,
		"GetItem":                   s.getItem,
		"DeleteItem":                s.deleteItem,
		"UpdateItem":                s.updateItem,
		"Query":                     s.query,
		"Scan":                      s.scan,
		"BatchGetItem":              s.batchGetItem,
		"BatchWriteItem":            s.batchWriteItem,
		"TransactGetItems":          s.transactGetItems,
		"TransactWriteItems":        s.transactWriteItems,
	}
}

// Errors, with DynamoDB's codes; all are 400s.
func validation(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

func errorf(code, format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, code, format, args...)
}

func notFound() error {
	return errorf("ResourceNotFoundException", "Requested resource not found")
}

// decode unmarshals an input. Invalid attribute values and expressions
// are ValidationExceptions; malformed JSON is a SerializationException.
func decode(in []byte, v any) error {
	if err := json.Unmarshal(in, v); err != nil {
		return asValidation(err, true)
	}
	return nil
}

// asValidation maps the attr and expr packages' errors to a
// ValidationException and leaves others alone (or, for decoding errors,
// makes them a SerializationException).
func asValidation(err error, decoding bool) error {
	var ae *attr.Error
	var ee *expr.Error
	switch {
	case errors.As(err, &ae):
		return validation("%s", ae.Msg)
	case errors.As(err, &ee):
		return validation("%s", ee.Msg)
	case decoding:
		return protocol.Errorf(http.StatusBadRequest, "SerializationException", "cannot parse request: %v", err)
	}
	return err
}

// epoch is a JSON-protocol timestamp: seconds since the epoch, a number.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

func ep(t time.Time) *epoch {
	e := epoch(t)
	return &e
}

// Wire shapes shared by inputs, stored documents and outputs.

type keySchemaElement struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

type attributeDefinition struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

type provisionedThroughput struct {
	ReadCapacityUnits  *int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits *int64 `json:"WriteCapacityUnits"`
}

type onDemandThroughput struct {
	MaxReadRequestUnits  *int64 `json:"MaxReadRequestUnits,omitempty"`
	MaxWriteRequestUnits *int64 `json:"MaxWriteRequestUnits,omitempty"`
}

// warmThroughput is a table's or index's pre-warmed capacity.
type warmThroughput struct {
	ReadUnitsPerSecond  *int64 `json:"ReadUnitsPerSecond,omitempty"`
	WriteUnitsPerSecond *int64 `json:"WriteUnitsPerSecond,omitempty"`
}

// describeWarm reports warm throughput the way DescribeTable does.
func describeWarm(w *warmThroughput) map[string]any {
	if w == nil {
		return nil
	}
	out := map[string]any{"Status": "ACTIVE"}
	if w.ReadUnitsPerSecond != nil {
		out["ReadUnitsPerSecond"] = *w.ReadUnitsPerSecond
	}
	if w.WriteUnitsPerSecond != nil {
		out["WriteUnitsPerSecond"] = *w.WriteUnitsPerSecond
	}
	return out
}

type projection struct {
	ProjectionType   string   `json:"ProjectionType,omitempty"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// indexDoc is a stored secondary index.
type indexDoc struct {
	Name       string              `json:"name"`
	KeySchema  []keySchemaElement  `json:"key_schema"`
	Projection projection          `json:"projection"`
	Read       int64               `json:"read,omitempty"`
	Write      int64               `json:"write,omitempty"`
	OnDemand   *onDemandThroughput `json:"on_demand,omitempty"`
	Warm       *warmThroughput     `json:"warm,omitempty"`
}

func (ix *indexDoc) hashKey() string  { return keyOf(ix.KeySchema, "HASH") }
func (ix *indexDoc) rangeKey() string { return keyOf(ix.KeySchema, "RANGE") }

func keyOf(ks []keySchemaElement, typ string) string {
	for _, k := range ks {
		if k.KeyType == typ {
			return k.AttributeName
		}
	}
	return ""
}

// tableDoc is a stored table.
type tableDoc struct {
	Name                 string                `json:"name"`
	Region               string                `json:"region"`
	ID                   string                `json:"id"`
	ARN                  string                `json:"arn"`
	Created              time.Time             `json:"created"`
	KeySchema            []keySchemaElement    `json:"key_schema"`
	AttributeDefinitions []attributeDefinition `json:"attribute_definitions"`
	BillingMode          string                `json:"billing_mode"`
	BillingSummary       bool                  `json:"billing_summary,omitempty"` // BillingModeSummary is reported
	LastPayPerRequest    *time.Time            `json:"last_pay_per_request,omitempty"`
	Read                 int64                 `json:"read,omitempty"`
	Write                int64                 `json:"write,omitempty"`
	LastIncrease         *time.Time            `json:"last_increase,omitempty"`
	LastDecrease         *time.Time            `json:"last_decrease,omitempty"`
	GSIs                 []indexDoc            `json:"gsis,omitempty"`
	LSIs                 []indexDoc            `json:"lsis,omitempty"`
	StreamEnabled        bool                  `json:"stream_enabled,omitempty"`
	StreamViewType       string                `json:"stream_view_type,omitempty"`
	StreamLabel          string                `json:"stream_label,omitempty"`
	SSEKMSKeyARN         string                `json:"sse_kms_key_arn,omitempty"` // "" is the AWS owned key
	TableClass           string                `json:"table_class,omitempty"`
	DeletionProtection   bool                  `json:"deletion_protection,omitempty"`
	OnDemand             *onDemandThroughput   `json:"on_demand,omitempty"`
	Warm                 *warmThroughput       `json:"warm,omitempty"`
	Tags                 []tag                 `json:"tags,omitempty"`
	TTLEnabled           bool                  `json:"ttl_enabled,omitempty"`
	TTLAttribute         string                `json:"ttl_attribute,omitempty"`
	PITREnabled          bool                  `json:"pitr_enabled,omitempty"`
	PITRDays             int                   `json:"pitr_days,omitempty"`
	PITRSince            *time.Time            `json:"pitr_since,omitempty"`
}

func (t *tableDoc) hashKey() string  { return keyOf(t.KeySchema, "HASH") }
func (t *tableDoc) rangeKey() string { return keyOf(t.KeySchema, "RANGE") }

func (t *tableDoc) attrType(name string) string {
	for _, a := range t.AttributeDefinitions {
		if a.AttributeName == name {
			return a.AttributeType
		}
	}
	return ""
}

func (t *tableDoc) index(name string) (*indexDoc, bool) {
	for i := range t.GSIs {
		if t.GSIs[i].Name == name {
			return &t.GSIs[i], true
		}
	}
	for i := range t.LSIs {
		if t.LSIs[i].Name == name {
			return &t.LSIs[i], false
		}
	}
	return nil, false
}

func (t *tableDoc) itemNS() string { return nsItem + t.ID }

// statsDoc tracks a table's item count and size.
type statsDoc struct {
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}

// tableRef splits a TableName parameter, which may also be a table ARN,
// into region and name.
func (s *Service) tableRef(r *service.Request, name string) (region, table string, err error) {
	region = s.env.RegionOf(r)
	if strings.HasPrefix(name, "arn:") {
		parts := strings.SplitN(name, ":", 6)
		if len(parts) != 6 || parts[2] != "dynamodb" || !strings.HasPrefix(parts[5], "table/") || parts[4] != s.env.AccountID {
			return "", "", validation("Invalid TableArn: %s", name)
		}
		region, name = parts[3], strings.TrimPrefix(parts[5], "table/")
		if strings.Contains(name, "/") {
			return "", "", validation("Invalid TableArn: %s", name)
		}
	}
	if err := checkTableName(name, "tableName"); err != nil {
		return "", "", err
	}
	return region, name, nil
}

func checkTableName(name, field string) error {
	if len(name) < 3 || len(name) > 255 {
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 3 and less than or equal to 255", name, field)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name, field)
		}
	}
	return nil
}

// loadTable reads a table; missing is ResourceNotFoundException with the
// given message.
func loadTable(tx *state.Tx, region, name string, missing func() error) (*tableDoc, error) {
	var t tableDoc
	err := tx.Get(nsTable, region+"/"+name, &t)
	if service.IsNotFound(err) {
		return nil, missing()
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func saveTable(tx *state.Tx, t *tableDoc) error {
	return tx.Put(nsTable, t.Region+"/"+t.Name, t)
}

func tableNotFound(name string) func() error {
	return func() error {
		return errorf("ResourceNotFoundException", "Requested resource not found: Table: %s not found", name)
	}
}

func loadStats(tx *state.Tx, id string) (statsDoc, error) {
	var st statsDoc
	err := tx.Get(nsStats, id, &st)
	if err != nil && !service.IsNotFound(err) {
		return st, err
	}
	return st, nil
}

func addStats(tx *state.Tx, id string, dCount, dBytes int64) error {
	if dCount == 0 && dBytes == 0 {
		return nil
	}
	st, err := loadStats(tx, id)
	if err != nil {
		return err
	}
	st.Count += dCount
	st.Bytes += dBytes
	return tx.Put(nsStats, id, st)
}
