package dynamodb

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/expr"
	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// maxItemSize is DynamoDB's item size limit.
const maxItemSize = 400 * 1024

// exprInput is the expression part every item operation shares.
type exprInput struct {
	ConditionExpression       *string               `json:"ConditionExpression"`
	ExpressionAttributeNames  map[string]string     `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues map[string]attr.Value `json:"ExpressionAttributeValues"`
	Expected                  map[string]expected   `json:"Expected"`
	ConditionalOperator       string                `json:"ConditionalOperator"`
}

// expected is one entry of the legacy Expected parameter.
type expected struct {
	Value              *attr.Value  `json:"Value"`
	Exists             *bool        `json:"Exists"`
	ComparisonOperator string       `json:"ComparisonOperator"`
	AttributeValueList []attr.Value `json:"AttributeValueList"`
}

// newEnv validates the placeholder maps and builds the expression Env.
// used lists the expression parameters present, for the errors DynamoDB
// gives when placeholders come without expressions.
func newEnv(names map[string]string, values map[string]attr.Value, anyExpr bool) (*expr.Env, error) {
	if names != nil && len(names) == 0 {
		return nil, validation("ExpressionAttributeNames must not be empty")
	}
	if values != nil && len(values) == 0 {
		return nil, validation("ExpressionAttributeValues must not be empty")
	}
	for k := range names {
		if !strings.HasPrefix(k, "#") || len(k) < 2 {
			return nil, validation("ExpressionAttributeNames contains invalid key: Syntax error; key: %q", k)
		}
	}
	for k := range values {
		if !strings.HasPrefix(k, ":") || len(k) < 2 {
			return nil, validation("ExpressionAttributeValues contains invalid key: Syntax error; key: %q", k)
		}
	}
	if !anyExpr {
		if names != nil {
			return nil, validation("ExpressionAttributeNames can only be specified when using expressions")
		}
		if values != nil {
			return nil, validation("ExpressionAttributeValues can only be specified when using expressions")
		}
	}
	return expr.NewEnv(names, values), nil
}

// legacyConflict is DynamoDB's error for mixing legacy and expression
// parameters.
func legacyConflict(legacy, expression string) error {
	return validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {%s} Expression parameters: {%s}", legacy, expression)
}

// expectedCond translates the legacy Expected parameter.
func expectedCond(exp map[string]expected, op string) (expr.Cond, error) {
	if op != "" && op != "AND" && op != "OR" {
		return nil, validation("1 validation error detected: Value '%s' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]", op)
	}
	names := make([]string, 0, len(exp))
	for k := range exp {
		names = append(names, k)
	}
	sort.Strings(names)
	var conds []expr.Cond
	for _, name := range names {
		e := exp[name]
		var c expr.Cond
		var err error
		switch {
		case e.ComparisonOperator != "":
			if e.Value != nil || e.Exists != nil {
				return nil, validation("One or more parameter values were invalid: Value or Exists cannot be used with ComparisonOperator for Attribute: %s", name)
			}
			c, err = expr.Legacy(name, e.ComparisonOperator, e.AttributeValueList)
		case e.Exists != nil && !*e.Exists:
			if e.Value != nil {
				return nil, validation("One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: %s", name)
			}
			c = expr.Exists(name, false)
		case e.Value != nil:
			c, err = expr.Legacy(name, "EQ", []attr.Value{*e.Value})
		default:
			return nil, validation("One or more parameter values were invalid: Exists is set to TRUE for Attribute: %s, Value must also be set", name)
		}
		if err != nil {
			return nil, asValidation(err, false)
		}
		conds = append(conds, c)
	}
	if op == "OR" {
		return expr.Or(conds...), nil
	}
	return expr.And(conds...), nil
}

// condition parses the request's ConditionExpression or legacy Expected.
func condition(in *exprInput, env *expr.Env) (expr.Cond, error) {
	if in.Expected != nil && in.ConditionExpression != nil {
		return nil, legacyConflict("Expected", "ConditionExpression")
	}
	if in.ConditionExpression != nil {
		c, err := expr.ParseCondition("ConditionExpression", *in.ConditionExpression, env)
		return c, asValidation(err, false)
	}
	if in.ConditionalOperator != "" && in.Expected == nil {
		return nil, validation("ConditionalOperator can only be used when Expected is present")
	}
	if in.Expected != nil {
		return expectedCond(in.Expected, in.ConditionalOperator)
	}
	return nil, nil
}

// keySpec is the primary key a table's items are addressed by.
type keySpec struct {
	hash, rng         string
	hashType, rngType string
}

func (t *tableDoc) keys() keySpec {
	k := keySpec{hash: t.hashKey(), rng: t.rangeKey()}
	k.hashType = t.attrType(k.hash)
	if k.rng != "" {
		k.rngType = t.attrType(k.rng)
	}
	return k
}

// checkKeyValue validates one key attribute's value.
func checkKeyValue(name, want string, v attr.Value, isHash bool) error {
	if string(v.T) != want {
		return validation("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, want, v.T)
	}
	if v.T == attr.S && v.S == "" || v.T == attr.B && len(v.B) == 0 {
		return validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s", map[attr.Type]string{attr.S: "string", attr.B: "binary"}[v.T], name)
	}
	size := len(v.S) + len(v.B)
	if isHash && size > 2048 {
		return validation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
	}
	if !isHash && size > 1024 {
		return validation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	}
	return nil
}

// keyFromKey validates a Key parameter: exactly the key attributes.
func (k keySpec) fromKey(key attr.Item) (string, error) {
	want := 1
	if k.rng != "" {
		want = 2
	}
	hv, ok1 := key[k.hash]
	rv, ok2 := key[k.rng]
	if len(key) != want || !ok1 || k.rng != "" && !ok2 {
		return "", validation("The provided key element does not match the schema")
	}
	if err := checkKeyValue(k.hash, k.hashType, hv, true); err != nil {
		return "", err
	}
	if k.rng != "" {
		if err := checkKeyValue(k.rng, k.rngType, rv, false); err != nil {
			return "", err
		}
	}
	return k.encode(key), nil
}

// fromItem validates an item's key attributes.
func (k keySpec) fromItem(item attr.Item) (string, error) {
	for _, n := range []struct {
		name, typ string
		hash      bool
	}{{k.hash, k.hashType, true}, {k.rng, k.rngType, false}} {
		if n.name == "" {
			continue
		}
		v, ok := item[n.name]
		if !ok {
			return "", validation("One or more parameter values were invalid: Missing the key %s in the item", n.name)
		}
		if err := checkKeyValue(n.name, n.typ, v, n.hash); err != nil {
			return "", err
		}
	}
	return k.encode(item), nil
}

// encode is the state key of the item with these key attributes.
func (k keySpec) encode(item attr.Item) string {
	s := attr.EncodeKeyPart(item[k.hash])
	if k.rng != "" {
		s += attr.KeySep + attr.EncodeKeyPart(item[k.rng])
	}
	return s
}

// keyOnly extracts the key attributes of an item.
func (k keySpec) keyOnly(item attr.Item) attr.Item {
	out := attr.Item{k.hash: item[k.hash]}
	if k.rng != "" {
		out[k.rng] = item[k.rng]
	}
	return out
}

// checkItem validates a whole item about to be written: index key types
// and the size limit.
func checkItem(t *tableDoc, item attr.Item) error {
	for _, ix := range append(append([]indexDoc{}, t.GSIs...), t.LSIs...) {
		for _, ks := range ix.KeySchema {
			v, ok := item[ks.AttributeName]
			if !ok {
				continue
			}
			want := t.attrType(ks.AttributeName)
			if string(v.T) != want {
				return validation("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", ks.AttributeName, want, v.T, ix.Name)
			}
			if v.T == attr.S && v.S == "" || v.T == attr.B && len(v.B) == 0 {
				return validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", ix.Name, ks.AttributeName)
			}
		}
	}
	if item.Size() > maxItemSize {
		return validation("Item size has exceeded the maximum allowed size")
	}
	return nil
}

func getItemDoc(tx *state.Tx, t *tableDoc, key string) (attr.Item, error) {
	var it attr.Item
	err := tx.Get(t.itemNS(), key, &it)
	if service.IsNotFound(err) {
		return nil, nil
	}
	return it, err
}

// putItemDoc writes an item and keeps the table's statistics.
func putItemDoc(tx *state.Tx, t *tableDoc, key string, old, item attr.Item) error {
	if err := tx.Put(t.itemNS(), key, item); err != nil {
		return err
	}
	var dCount int64
	if old == nil {
		dCount = 1
	}
	return addStats(tx, t.ID, dCount, int64(item.Size()-old.Size()))
}

func deleteItemDoc(tx *state.Tx, t *tableDoc, key string, old attr.Item) error {
	if old == nil {
		return nil
	}
	if err := tx.Delete(t.itemNS(), key); err != nil {
		return err
	}
	return addStats(tx, t.ID, -1, -int64(old.Size()))
}

// conditionFailed is ConditionalCheckFailedException, carrying the item
// when the caller asked for it (ReturnValuesOnConditionCheckFailure).
func conditionFailed(old attr.Item, returnOnFailure string) error {
	e := protocol.Errorf(http.StatusBadRequest, "ConditionalCheckFailedException", "The conditional request failed")
	if returnOnFailure == "ALL_OLD" && old != nil {
		e.Fields = map[string]any{"Item": old}
	}
	return e
}

func checkReturnOnFailure(v string) error {
	if v != "" && v != "NONE" && v != "ALL_OLD" {
		return validation("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", v)
	}
	return nil
}

// consumed builds ConsumedCapacity when the caller asked for it.
func consumed(mode, table string, units float64, write bool) map[string]any {
	if mode != "TOTAL" && mode != "INDEXES" {
		return nil
	}
	c := map[string]any{"TableName": table, "CapacityUnits": units}
	if write {
		c["WriteCapacityUnits"] = units
	} else {
		c["ReadCapacityUnits"] = units
	}
	if mode == "INDEXES" {
		c["Table"] = map[string]any{"CapacityUnits": units}
	}
	return c
}

func writeUnits(size int) float64 { return float64((max(size, 1) + 1023) / 1024) }

func readUnits(size int, consistent bool) float64 {
	u := float64((max(size, 1) + 4095) / 4096)
	if !consistent {
		u /= 2
	}
	return u
}

func checkConsumedMode(v string) error {
	if v != "" && v != "TOTAL" && v != "INDEXES" && v != "NONE" {
		return validation("1 validation error detected: Value '%s' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]", v)
	}
	return nil
}

type putItemInput struct {
	exprInput
	TableName                           string    `json:"TableName"`
	Item                                attr.Item `json:"Item"`
	ReturnValues                        string    `json:"ReturnValues"`
	ReturnValuesOnConditionCheckFailure string    `json:"ReturnValuesOnConditionCheckFailure"`
	ReturnConsumedCapacity              string    `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         string    `json:"ReturnItemCollectionMetrics"`
}

// writeResult is the shape of PutItem, DeleteItem and UpdateItem outputs.
type writeResult struct {
	Attributes       attr.Item      `json:"Attributes,omitempty"`
	ConsumedCapacity map[string]any `json:"ConsumedCapacity,omitempty"`
}

func (s *Service) putItem(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in putItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != "NONE" && in.ReturnValues != "ALL_OLD" {
		return nil, validation("ReturnValues can only be ALL_OLD or NONE")
	}
	if err := checkReturnOnFailure(in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	if in.Item == nil {
		return nil, validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
	}
	env, err := newEnv(in.ExpressionAttributeNames, in.ExpressionAttributeValues, in.ConditionExpression != nil)
	if err != nil {
		return nil, err
	}
	cond, err := condition(&in.exprInput, env)
	if err != nil {
		return nil, err
	}
	if err := asValidation(env.CheckUnused(), false); err != nil {
		return nil, err
	}
	var out writeResult
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, notFound)
		if err != nil {
			return err
		}
		key, err := t.keys().fromItem(in.Item)
		if err != nil {
			return err
		}
		if err := checkItem(t, in.Item); err != nil {
			return err
		}
		old, err := getItemDoc(tx, t, key)
		if err != nil {
			return err
		}
		if cond != nil && !cond.Eval(old) {
			return conditionFailed(old, in.ReturnValuesOnConditionCheckFailure)
		}
		if err := putItemDoc(tx, t, key, old, in.Item); err != nil {
			return err
		}
		if in.ReturnValues == "ALL_OLD" {
			out.Attributes = old
		}
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t.Name, writeUnits(max(in.Item.Size(), old.Size())), true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type getItemInput struct {
	TableName                string            `json:"TableName"`
	Key                      attr.Item         `json:"Key"`
	ProjectionExpression     *string           `json:"ProjectionExpression"`
	AttributesToGet          []string          `json:"AttributesToGet"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
	ConsistentRead           bool              `json:"ConsistentRead"`
	ReturnConsumedCapacity   string            `json:"ReturnConsumedCapacity"`
}

// projectionOf parses ProjectionExpression or the legacy AttributesToGet.
func projectionOf(pe *string, atg []string, env *expr.Env) (expr.Projection, error) {
	if pe != nil && atg != nil {
		return nil, legacyConflict("AttributesToGet", "ProjectionExpression")
	}
	if pe != nil {
		p, err := expr.ParseProjection(*pe, env)
		return p, asValidation(err, false)
	}
	if atg != nil {
		if len(atg) == 0 {
			return nil, validation("1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1")
		}
		seen := map[string]bool{}
		for _, a := range atg {
			if seen[a] {
				return nil, validation("One or more parameter values were invalid: Duplicate value in attribute name: %s", a)
			}
			seen[a] = true
		}
		return expr.Attributes(atg), nil
	}
	return nil, nil
}

func (s *Service) getItem(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in getItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	env, err := newEnv(in.ExpressionAttributeNames, nil, in.ProjectionExpression != nil)
	if err != nil {
		return nil, err
	}
	proj, err := projectionOf(in.ProjectionExpression, in.AttributesToGet, env)
	if err != nil {
		return nil, err
	}
	if err := asValidation(env.CheckUnused(), false); err != nil {
		return nil, err
	}
	out := map[string]any{}
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, notFound)
		if err != nil {
			return err
		}
		key, err := t.keys().fromKey(in.Key)
		if err != nil {
			return err
		}
		it, err := getItemDoc(tx, t, key)
		if err != nil {
			return err
		}
		if c := consumed(in.ReturnConsumedCapacity, t.Name, readUnits(it.Size(), in.ConsistentRead), false); c != nil {
			out["ConsumedCapacity"] = c
		}
		if it != nil {
			if proj != nil {
				it = proj.Apply(it)
			}
			out["Item"] = it
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type deleteItemInput struct {
	exprInput
	TableName                           string    `json:"TableName"`
	Key                                 attr.Item `json:"Key"`
	ReturnValues                        string    `json:"ReturnValues"`
	ReturnValuesOnConditionCheckFailure string    `json:"ReturnValuesOnConditionCheckFailure"`
	ReturnConsumedCapacity              string    `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         string    `json:"ReturnItemCollectionMetrics"`
}

func (s *Service) deleteItem(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in deleteItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != "NONE" && in.ReturnValues != "ALL_OLD" {
		return nil, validation("ReturnValues can only be ALL_OLD or NONE")
	}
	if err := checkReturnOnFailure(in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	env, err := newEnv(in.ExpressionAttributeNames, in.ExpressionAttributeValues, in.ConditionExpression != nil)
	if err != nil {
		return nil, err
	}
	cond, err := condition(&in.exprInput, env)
	if err != nil {
		return nil, err
	}
	if err := asValidation(env.CheckUnused(), false); err != nil {
		return nil, err
	}
	var out writeResult
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, notFound)
		if err != nil {
			return err
		}
		key, err := t.keys().fromKey(in.Key)
		if err != nil {
			return err
		}
		old, err := getItemDoc(tx, t, key)
		if err != nil {
			return err
		}
		if cond != nil && !cond.Eval(old) {
			return conditionFailed(old, in.ReturnValuesOnConditionCheckFailure)
		}
		if err := deleteItemDoc(tx, t, key, old); err != nil {
			return err
		}
		if in.ReturnValues == "ALL_OLD" {
			out.Attributes = old
		}
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t.Name, writeUnits(old.Size()), true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// attributeUpdate is one entry of the legacy AttributeUpdates parameter.
type attributeUpdate struct {
	Value  *attr.Value `json:"Value"`
	Action string      `json:"Action"`
}

type updateItemInput struct {
	exprInput
	TableName                           string                     `json:"TableName"`
	Key                                 attr.Item                  `json:"Key"`
	UpdateExpression                    *string                    `json:"UpdateExpression"`
	AttributeUpdates                    map[string]attributeUpdate `json:"AttributeUpdates"`
	ReturnValues                        string                     `json:"ReturnValues"`
	ReturnValuesOnConditionCheckFailure string                     `json:"ReturnValuesOnConditionCheckFailure"`
	ReturnConsumedCapacity              string                     `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         string                     `json:"ReturnItemCollectionMetrics"`
}

// updater applies an update to an item (nil: the item does not exist).
type updater interface {
	Apply(item attr.Item) (attr.Item, error)
	Paths() []expr.Path
}

// legacyUpdates applies the legacy AttributeUpdates parameter.
type legacyUpdates map[string]attributeUpdate

func (u legacyUpdates) Paths() []expr.Path {
	var out []expr.Path
	for name := range u {
		out = append(out, expr.Path{{Name: name}})
	}
	return out
}

func (u legacyUpdates) Apply(item attr.Item) (attr.Item, error) {
	out := item.Clone()
	if out == nil {
		out = attr.Item{}
	}
	for name, a := range u {
		old, exists := out[name]
		switch a.Action {
		case "", "PUT":
			if a.Value == nil {
				return nil, validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
			}
			out[name] = *a.Value
		case "DELETE":
			if a.Value == nil {
				delete(out, name)
				continue
			}
			if !a.Value.T.IsSet() {
				return nil, validation("One or more parameter values were invalid: DELETE action with value is not supported for the type %s", a.Value.T)
			}
			if !exists {
				continue
			}
			if old.T != a.Value.T {
				return nil, validation("Type mismatch for attribute to update")
			}
			if rest, empty := attr.Difference(old, *a.Value); empty {
				delete(out, name)
			} else {
				out[name] = rest
			}
		case "ADD":
			if a.Value == nil {
				return nil, validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
			}
			v := *a.Value
			switch {
			case !exists:
				if v.T != attr.N && !v.T.IsSet() && v.T != attr.L {
					return nil, validation("One or more parameter values were invalid: ADD action is not supported for the type %s", v.T)
				}
				out[name] = v
			case old.T == attr.N && v.T == attr.N:
				sum, err := old.Number().Add(v.Number())
				if err != nil {
					return nil, asValidation(err, false)
				}
				out[name] = attr.Num(sum)
			case old.T.IsSet() && old.T == v.T:
				out[name] = attr.Union(old, v)
			case old.T == attr.L && v.T == attr.L:
				out[name] = attr.Value{T: attr.L, L: append(append([]attr.Value{}, old.L...), v.L...)}
			default:
				return nil, validation("Type mismatch for attribute to update")
			}
		default:
			return nil, validation("1 validation error detected: Value '%s' at 'attributeUpdates.%s.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]", a.Action, name)
		}
	}
	return out, nil
}

func (s *Service) updateItem(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in updateItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", in.ReturnValues)
	}
	if err := checkReturnOnFailure(in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	if in.UpdateExpression != nil && in.AttributeUpdates != nil {
		return nil, legacyConflict("AttributeUpdates", "UpdateExpression")
	}
	if in.AttributeUpdates != nil && in.ConditionExpression != nil {
		return nil, legacyConflict("AttributeUpdates", "ConditionExpression")
	}
	if in.UpdateExpression != nil && in.Expected != nil {
		return nil, legacyConflict("Expected", "UpdateExpression")
	}
	env, err := newEnv(in.ExpressionAttributeNames, in.ExpressionAttributeValues, in.ConditionExpression != nil || in.UpdateExpression != nil)
	if err != nil {
		return nil, err
	}
	var upd updater
	if in.UpdateExpression != nil {
		u, err := expr.ParseUpdate(*in.UpdateExpression, env)
		if err != nil {
			return nil, asValidation(err, false)
		}
		upd = u
	} else if in.AttributeUpdates != nil {
		upd = legacyUpdates(in.AttributeUpdates)
	}
	cond, err := condition(&in.exprInput, env)
	if err != nil {
		return nil, err
	}
	if err := asValidation(env.CheckUnused(), false); err != nil {
		return nil, err
	}
	var out writeResult
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, notFound)
		if err != nil {
			return err
		}
		ks := t.keys()
		key, err := ks.fromKey(in.Key)
		if err != nil {
			return err
		}
		if upd != nil {
			for _, p := range upd.Paths() {
				if p.Attr() == ks.hash || p.Attr() == ks.rng {
					return validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", p.Attr())
				}
			}
		}
		old, err := getItemDoc(tx, t, key)
		if err != nil {
			return err
		}
		if cond != nil && !cond.Eval(old) {
			return conditionFailed(old, in.ReturnValuesOnConditionCheckFailure)
		}
		base := old
		if base == nil {
			base = ks.keyOnly(in.Key)
		}
		item := base.Clone()
		if upd != nil {
			if item, err = upd.Apply(base); err != nil {
				return asValidation(err, false)
			}
		}
		if err := checkItem(t, item); err != nil {
			return err
		}
		if err := putItemDoc(tx, t, key, old, item); err != nil {
			return err
		}
		switch in.ReturnValues {
		case "ALL_OLD":
			out.Attributes = old
		case "ALL_NEW":
			out.Attributes = item
		case "UPDATED_OLD", "UPDATED_NEW":
			src := old
			if in.ReturnValues == "UPDATED_NEW" {
				src = item
			}
			if upd != nil && src != nil {
				if p := expr.Projection(upd.Paths()).Apply(src); len(p) > 0 {
					out.Attributes = p
				}
			}
		}
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t.Name, writeUnits(max(item.Size(), old.Size())), true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
