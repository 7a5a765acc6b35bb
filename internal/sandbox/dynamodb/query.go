package dynamodb

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/expr"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// maxPageBytes is how much data one Query or Scan page reads (1 MB).
const maxPageBytes = 1 << 20

// legacyCondition is one entry of KeyConditions, QueryFilter or ScanFilter.
type legacyCondition struct {
	ComparisonOperator string       `json:"ComparisonOperator"`
	AttributeValueList []attr.Value `json:"AttributeValueList"`
}

type readInput struct {
	TableName                 string                `json:"TableName"`
	IndexName                 string                `json:"IndexName"`
	Select                    string                `json:"Select"`
	AttributesToGet           []string              `json:"AttributesToGet"`
	Limit                     *int                  `json:"Limit"`
	ConsistentRead            bool                  `json:"ConsistentRead"`
	ExclusiveStartKey         attr.Item             `json:"ExclusiveStartKey"`
	ReturnConsumedCapacity    string                `json:"ReturnConsumedCapacity"`
	ProjectionExpression      *string               `json:"ProjectionExpression"`
	FilterExpression          *string               `json:"FilterExpression"`
	ExpressionAttributeNames  map[string]string     `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues map[string]attr.Value `json:"ExpressionAttributeValues"`
	ConditionalOperator       string                `json:"ConditionalOperator"`
	// Query.
	KeyConditionExpression *string                    `json:"KeyConditionExpression"`
	KeyConditions          map[string]legacyCondition `json:"KeyConditions"`
	QueryFilter            map[string]legacyCondition `json:"QueryFilter"`
	ScanIndexForward       *bool                      `json:"ScanIndexForward"`
	// Scan.
	ScanFilter    map[string]legacyCondition `json:"ScanFilter"`
	Segment       *int                       `json:"Segment"`
	TotalSegments *int                       `json:"TotalSegments"`
}

type readOutput struct {
	Items            []attr.Item    `json:"Items,omitempty"`
	Count            int            `json:"Count"`
	ScannedCount     int            `json:"ScannedCount"`
	LastEvaluatedKey attr.Item      `json:"LastEvaluatedKey,omitempty"`
	ConsumedCapacity map[string]any `json:"ConsumedCapacity,omitempty"`
}

// MarshalJSON keeps Items present (possibly empty) unless Select is COUNT.
func (o readOutput) MarshalJSON() ([]byte, error) {
	m := map[string]any{"Count": o.Count, "ScannedCount": o.ScannedCount}
	if o.Items != nil {
		m["Items"] = o.Items
	}
	if o.LastEvaluatedKey != nil {
		m["LastEvaluatedKey"] = o.LastEvaluatedKey
	}
	if o.ConsumedCapacity != nil {
		m["ConsumedCapacity"] = o.ConsumedCapacity
	}
	return json.Marshal(m)
}

// legacyFilter translates QueryFilter/ScanFilter (or KeyConditions).
func legacyFilter(m map[string]legacyCondition, op string) (expr.Cond, error) {
	if op != "" && op != "AND" && op != "OR" {
		return nil, validation("1 validation error detected: Value '%s' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]", op)
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var conds []expr.Cond
	for _, n := range names {
		c, err := expr.Legacy(n, m[n].ComparisonOperator, m[n].AttributeValueList)
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

// readPlan is a validated Query or Scan.
type readPlan struct {
	t          *tableDoc
	ks         keySpec   // the table's key
	ix         *indexDoc // nil for the table itself
	gsi        bool
	ixHash     string // the key of what is read (table or index)
	ixRange    string
	filter     expr.Cond
	proj       expr.Projection
	count      bool // Select COUNT
	projected  bool // only the index's projected attributes are returned
	limit      int
	start      attr.Item
	forward    bool
	consistent bool
}

// plan validates the parameters shared by Query and Scan against the table.
func (s *Service) plan(t *tableDoc, in *readInput, env *expr.Env, query bool) (*readPlan, error) {
	p := &readPlan{t: t, ks: t.keys(), forward: true, consistent: in.ConsistentRead}
	p.ixHash, p.ixRange = p.ks.hash, p.ks.rng
	if in.IndexName != "" {
		ix, gsi := t.index(in.IndexName)
		if ix == nil {
			return nil, validation("The table does not have the specified index: %s", in.IndexName)
		}
		p.ix, p.gsi = ix, gsi
		p.ixHash, p.ixRange = ix.hashKey(), ix.rangeKey()
		if gsi && in.ConsistentRead {
			return nil, validation("Consistent reads are not supported on global secondary indexes")
		}
	}
	if in.ScanIndexForward != nil && query {
		p.forward = *in.ScanIndexForward
	}
	if in.Limit != nil {
		if *in.Limit < 1 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
		}
		p.limit = *in.Limit
	}
	// Filter.
	legacy := in.QueryFilter
	legacyName := "QueryFilter"
	if !query {
		legacy, legacyName = in.ScanFilter, "ScanFilter"
	}
	switch {
	case in.FilterExpression != nil && legacy != nil:
		return nil, legacyConflict(legacyName, "FilterExpression")
	case in.FilterExpression != nil:
		c, err := expr.ParseCondition("FilterExpression", *in.FilterExpression, env)
		if err != nil {
			return nil, asValidation(err, false)
		}
		p.filter = c
	case legacy != nil:
		c, err := legacyFilter(legacy, in.ConditionalOperator)
		if err != nil {
			return nil, err
		}
		p.filter = c
	}
	// Projection and Select.
	proj, err := projectionOf(in.ProjectionExpression, in.AttributesToGet, env)
	if err != nil {
		return nil, err
	}
	sel := in.Select
	switch sel {
	case "":
		if proj != nil {
			sel = "SPECIFIC_ATTRIBUTES"
		} else if p.ix != nil {
			sel = "ALL_PROJECTED_ATTRIBUTES"
		} else {
			sel = "ALL_ATTRIBUTES"
		}
	case "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "COUNT":
		if proj != nil {
			return nil, validation("Cannot specify the AttributesToGet or ProjectionExpression when choosing to get %s", sel)
		}
	case "SPECIFIC_ATTRIBUTES":
		if proj == nil {
			return nil, validation("One or more parameter values were invalid: SPECIFIC_ATTRIBUTES requires a ProjectionExpression or AttributesToGet")
		}
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", sel)
	}
	if sel == "ALL_PROJECTED_ATTRIBUTES" && p.ix == nil {
		return nil, validation("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not supported when no index is specified")
	}
	if sel == "ALL_ATTRIBUTES" && p.gsi && p.ix.Projection.ProjectionType != "ALL" {
		return nil, validation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", p.ix.Name)
	}
	p.count = sel == "COUNT"
	p.projected = p.ix != nil && (p.gsi || sel == "ALL_PROJECTED_ATTRIBUTES")
	p.proj = proj
	if in.ExclusiveStartKey != nil {
		if err := p.checkStartKey(in.ExclusiveStartKey); err != nil {
			return nil, err
		}
		p.start = in.ExclusiveStartKey
	}
	return p, nil
}

// checkStartKey validates ExclusiveStartKey: the table's key, plus the
// index's key when reading an index.
func (p *readPlan) checkStartKey(k attr.Item) error {
	want := map[string]string{p.ks.hash: p.ks.hashType}
	if p.ks.rng != "" {
		want[p.ks.rng] = p.ks.rngType
	}
	if p.ix != nil {
		for _, ks := range p.ix.KeySchema {
			want[ks.AttributeName] = p.t.attrType(ks.AttributeName)
		}
	}
	if len(k) != len(want) {
		return validation("The provided starting key is invalid: The provided key element does not match the schema")
	}
	for name, typ := range want {
		v, ok := k[name]
		if !ok || string(v.T) != typ {
			return validation("The provided starting key is invalid: The provided key element does not match the schema")
		}
	}
	return nil
}

// inIndex reports whether an item appears in the index being read (it has
// the index's key attributes).
func (p *readPlan) inIndex(it attr.Item) bool {
	if p.ix == nil {
		return true
	}
	for _, ks := range p.ix.KeySchema {
		if _, ok := it[ks.AttributeName]; !ok {
			return false
		}
	}
	return true
}

// lastKey is the LastEvaluatedKey for an item.
func (p *readPlan) lastKey(it attr.Item) attr.Item {
	out := p.ks.keyOnly(it)
	if p.ix != nil {
		for _, ks := range p.ix.KeySchema {
			out[ks.AttributeName] = it[ks.AttributeName]
		}
	}
	return out
}

// shape applies the index's projection and the caller's projection.
func (p *readPlan) shape(it attr.Item) attr.Item {
	if p.projected && p.ix.Projection.ProjectionType != "ALL" {
		keep := p.lastKey(it)
		for _, a := range p.ix.Projection.NonKeyAttributes {
			if v, ok := it[a]; ok {
				keep[a] = v
			}
		}
		it = keep
	}
	if p.proj != nil {
		return p.proj.Apply(it)
	}
	return it
}

type entry struct {
	key  string // encoded table key
	item attr.Item
}

// run evaluates a plan over candidate entries already in read order.
func (p *readPlan) run(cands []entry, keep func(attr.Item) bool) readOutput {
	out := readOutput{}
	if !p.count {
		out.Items = []attr.Item{}
	}
	bytes := 0
	for _, c := range cands {
		if keep != nil && !keep(c.item) {
			continue
		}
		out.ScannedCount++
		bytes += c.item.Size()
		if p.filter == nil || p.filter.Eval(c.item) {
			out.Count++
			if !p.count {
				out.Items = append(out.Items, p.shape(c.item))
			}
		}
		if p.limit > 0 && out.ScannedCount == p.limit || bytes >= maxPageBytes {
			out.LastEvaluatedKey = p.lastKey(c.item)
			break
		}
	}
	return out
}

// loadItems reads every item of a table (optionally only one partition).
func loadItems(tx *state.Tx, t *tableDoc, prefix string) ([]entry, error) {
	ents, err := tx.List(state.ListParams{NS: t.itemNS(), Prefix: prefix})
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(ents))
	for _, e := range ents {
		var it attr.Item
		if err := json.Unmarshal(e.Value, &it); err != nil {
			return nil, err
		}
		out = append(out, entry{key: e.Key, item: it})
	}
	return out, nil
}

func (s *Service) readCommon(in *readInput, query bool) (*expr.Env, error) {
	if !query {
		in.KeyConditionExpression, in.KeyConditions, in.QueryFilter, in.ScanIndexForward = nil, nil, nil, nil
	} else {
		in.ScanFilter, in.Segment, in.TotalSegments = nil, nil, nil
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	anyExpr := in.FilterExpression != nil || in.ProjectionExpression != nil || in.KeyConditionExpression != nil
	return newEnv(in.ExpressionAttributeNames, in.ExpressionAttributeValues, anyExpr)
}

func (s *Service) query(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in readInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	env, err := s.readCommon(&in, true)
	if err != nil {
		return nil, err
	}
	var out readOutput
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, notFound)
		if err != nil {
			return err
		}
		p, err := s.plan(t, &in, env, true)
		if err != nil {
			return err
		}
		kc, err := s.keyCondition(p, &in, env)
		if err != nil {
			return err
		}
		if err := asValidation(env.CheckUnused(), false); err != nil {
			return err
		}
		var cands []entry
		if p.ix == nil {
			prefix := attr.EncodeKeyPart(kc.Hash)
			if p.ks.rng != "" {
				prefix += attr.KeySep
			}
			if cands, err = loadItems(tx, t, prefix); err != nil {
				return err
			}
			if p.ks.rng == "" {
				// Without a sort key the prefix could match a longer key.
				kept := cands[:0]
				for _, c := range cands {
					if c.key == prefix {
						kept = append(kept, c)
					}
				}
				cands = kept
			}
		} else {
			all, err := loadItems(tx, t, "")
			if err != nil {
				return err
			}
			for _, c := range all {
				if p.inIndex(c.item) && attr.Equal(c.item[p.ixHash], kc.Hash) {
					cands = append(cands, c)
				}
			}
		}
		p.order(cands)
		cands = p.after(cands)
		out = p.run(cands, func(it attr.Item) bool { return kc.Range == nil || kc.Range.Eval(it) })
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t.Name, readUnits(sizeOf(out), p.consistent), false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sizeOf(o readOutput) int {
	n := 0
	for _, it := range o.Items {
		n += it.Size()
	}
	return n
}

// keyCondition parses the Query's key condition and checks its values'
// types against the key schema.
func (s *Service) keyCondition(p *readPlan, in *readInput, env *expr.Env) (*expr.KeyCond, error) {
	var kc *expr.KeyCond
	switch {
	case in.KeyConditionExpression != nil && in.KeyConditions != nil:
		return nil, legacyConflict("KeyConditions", "KeyConditionExpression")
	case in.KeyConditionExpression != nil:
		c, err := expr.ParseKeyCondition(*in.KeyConditionExpression, env, p.ixHash, p.ixRange)
		if err != nil {
			return nil, asValidation(err, false)
		}
		kc = c
	case in.KeyConditions != nil:
		h, ok := in.KeyConditions[p.ixHash]
		if !ok || h.ComparisonOperator != "EQ" || len(h.AttributeValueList) != 1 {
			return nil, validation("Query condition missed key schema element: %s", p.ixHash)
		}
		var rng expr.Cond
		for name, c := range in.KeyConditions {
			if name == p.ixHash {
				continue
			}
			if name != p.ixRange {
				return nil, validation("Query condition missed key schema element")
			}
			switch c.ComparisonOperator {
			case "EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN":
			default:
				return nil, validation("Attempted conditional constraint is not an indexable operation")
			}
			lc, err := expr.Legacy(name, c.ComparisonOperator, c.AttributeValueList)
			if err != nil {
				return nil, asValidation(err, false)
			}
			rng = lc
			for _, v := range c.AttributeValueList {
				if string(v.T) != p.t.attrType(name) {
					return nil, validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
				}
			}
		}
		kc = expr.KeyFromLegacy(h.AttributeValueList[0], rng)
	default:
		return nil, validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	if string(kc.Hash.T) != p.t.attrType(p.ixHash) {
		return nil, validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
	}
	if kc.Range != nil {
		for _, v := range kc.RangeValues() {
			if string(v.T) != p.t.attrType(p.ixRange) {
				return nil, validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
		}
	}
	return kc, nil
}

// order sorts a partition by the sort key (then the table key, for index
// entries sharing a sort key value), reversed when reading backwards.
func (p *readPlan) order(c []entry) {
	sort.SliceStable(c, func(i, j int) bool { return p.less(c[i].item, c[i].key, c[j].item, c[j].key) })
}

func (p *readPlan) less(a attr.Item, ak string, b attr.Item, bk string) bool {
	if p.ixRange != "" {
		n, _ := attr.Compare(a[p.ixRange], b[p.ixRange])
		if n != 0 {
			return n < 0 == p.forward
		}
	}
	if ak == bk {
		return false
	}
	return ak < bk == p.forward
}

// after drops the entries up to and including ExclusiveStartKey.
func (p *readPlan) after(c []entry) []entry {
	if p.start == nil {
		return c
	}
	sk := p.ks.encode(p.start)
	i := sort.Search(len(c), func(i int) bool { return p.less(p.start, sk, c[i].item, c[i].key) })
	return c[i:]
}

func (s *Service) scan(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in readInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	segment, total := 0, 1
	if (in.Segment == nil) != (in.TotalSegments == nil) {
		return nil, validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	}
	if in.TotalSegments != nil {
		segment, total = *in.Segment, *in.TotalSegments
		if total < 1 || total > 1000000 {
			return nil, validation("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000 and greater than or equal to 1", total)
		}
		if segment < 0 || segment >= total {
			return nil, validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", segment, total)
		}
	}
	env, err := s.readCommon(&in, false)
	if err != nil {
		return nil, err
	}
	var out readOutput
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, notFound)
		if err != nil {
			return err
		}
		p, err := s.plan(t, &in, env, false)
		if err != nil {
			return err
		}
		if err := asValidation(env.CheckUnused(), false); err != nil {
			return err
		}
		all, err := loadItems(tx, t, "")
		if err != nil {
			return err
		}
		var cands []entry
		for _, c := range all {
			if p.inIndex(c.item) && (total == 1 || segmentOf(c.key, total) == segment) {
				cands = append(cands, c)
			}
		}
		// A scan reads in key order; ExclusiveStartKey is a position in it.
		if p.start != nil {
			sk := p.ks.encode(p.start)
			i := sort.Search(len(cands), func(i int) bool { return cands[i].key > sk })
			cands = cands[i:]
		}
		out = p.run(cands, nil)
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t.Name, readUnits(sizeOf(out), p.consistent), false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// segmentOf assigns an item to a parallel-scan segment by its partition key.
func segmentOf(key string, total int) int {
	h := fnv.New32a()
	part, _, _ := strings.Cut(key, attr.KeySep)
	h.Write([]byte(part))
	return int(h.Sum32() % uint32(total))
}
