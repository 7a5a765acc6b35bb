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

type keysAndAttributes struct {
	Keys                     []attr.Item       `json:"Keys"`
	ProjectionExpression     *string           `json:"ProjectionExpression"`
	AttributesToGet          []string          `json:"AttributesToGet"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
	ConsistentRead           bool              `json:"ConsistentRead"`
}

func sortedTables[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Service) batchGetItem(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		RequestItems           map[string]keysAndAttributes `json:"RequestItems"`
		ReturnConsumedCapacity string                       `json:"ReturnConsumedCapacity"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.RequestItems) == 0 {
		return nil, validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	total := 0
	projs := map[string]expr.Projection{}
	for _, name := range sortedTables(in.RequestItems) {
		ka := in.RequestItems[name]
		if len(ka.Keys) == 0 {
			return nil, validation("1 validation error detected: Value '[]' at 'requestItems.%s.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1", name)
		}
		total += len(ka.Keys)
		env, err := newEnv(ka.ExpressionAttributeNames, nil, ka.ProjectionExpression != nil)
		if err != nil {
			return nil, err
		}
		p, err := projectionOf(ka.ProjectionExpression, ka.AttributesToGet, env)
		if err != nil {
			return nil, err
		}
		if err := asValidation(env.CheckUnused(), false); err != nil {
			return nil, err
		}
		projs[name] = p
	}
	if total > 100 {
		return nil, validation("Too many items requested for the BatchGetItem call")
	}
	responses := map[string][]attr.Item{}
	var capacity []map[string]any
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		for _, name := range sortedTables(in.RequestItems) {
			ka := in.RequestItems[name]
			region, tname, err := s.tableRef(r, name)
			if err != nil {
				return err
			}
			t, err := loadTable(tx, region, tname, notFound)
			if err != nil {
				return err
			}
			ks := t.keys()
			seen := map[string]bool{}
			items := []attr.Item{}
			size := 0
			for _, k := range ka.Keys {
				key, err := ks.fromKey(k)
				if err != nil {
					return err
				}
				if seen[key] {
					return validation("Provided list of item keys contains duplicates")
				}
				seen[key] = true
				it, err := getItemDoc(tx, t, key)
				if err != nil {
					return err
				}
				if it == nil {
					continue
				}
				size += it.Size()
				if p := projs[name]; p != nil {
					it = p.Apply(it)
				}
				items = append(items, it)
			}
			responses[name] = items
			if c := consumed(in.ReturnConsumedCapacity, t.Name, readUnits(size, ka.ConsistentRead), false); c != nil {
				capacity = append(capacity, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Responses": responses, "UnprocessedKeys": map[string]any{}}
	if capacity != nil {
		out["ConsumedCapacity"] = capacity
	}
	return out, nil
}

type writeRequest struct {
	PutRequest *struct {
		Item attr.Item `json:"Item"`
	} `json:"PutRequest"`
	DeleteRequest *struct {
		Key attr.Item `json:"Key"`
	} `json:"DeleteRequest"`
}

func (s *Service) batchWriteItem(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		RequestItems                map[string][]writeRequest `json:"RequestItems"`
		ReturnConsumedCapacity      string                    `json:"ReturnConsumedCapacity"`
		ReturnItemCollectionMetrics string                    `json:"ReturnItemCollectionMetrics"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.RequestItems) == 0 {
		return nil, validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	total := 0
	for name, reqs := range in.RequestItems {
		if len(reqs) == 0 {
			return nil, validation("1 validation error detected: Value '[]' at 'requestItems.%s.member' failed to satisfy constraint: Member must have length greater than or equal to 1", name)
		}
		total += len(reqs)
		for _, wr := range reqs {
			if (wr.PutRequest == nil) == (wr.DeleteRequest == nil) {
				return nil, validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
		}
	}
	if total > 25 {
		return nil, validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
	}
	var capacity []map[string]any
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		for _, name := range sortedTables(in.RequestItems) {
			region, tname, err := s.tableRef(r, name)
			if err != nil {
				return err
			}
			t, err := loadTable(tx, region, tname, notFound)
			if err != nil {
				return err
			}
			ks := t.keys()
			seen := map[string]bool{}
			units := 0.0
			for _, wr := range in.RequestItems[name] {
				var key string
				if wr.PutRequest != nil {
					if key, err = ks.fromItem(wr.PutRequest.Item); err != nil {
						return err
					}
					if err := checkItem(t, wr.PutRequest.Item); err != nil {
						return err
					}
				} else if key, err = ks.fromKey(wr.DeleteRequest.Key); err != nil {
					return err
				}
				if seen[key] {
					return validation("Provided list of item keys contains duplicates")
				}
				seen[key] = true
				old, err := getItemDoc(tx, t, key)
				if err != nil {
					return err
				}
				if wr.PutRequest != nil {
					err = putItemDoc(tx, t, key, old, wr.PutRequest.Item)
					units += writeUnits(wr.PutRequest.Item.Size())
				} else {
					err = deleteItemDoc(tx, t, key, old)
					units += writeUnits(old.Size())
				}
				if err != nil {
					return err
				}
			}
			if c := consumed(in.ReturnConsumedCapacity, t.Name, units, true); c != nil {
				capacity = append(capacity, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"UnprocessedItems": map[string]any{}}
	if capacity != nil {
		out["ConsumedCapacity"] = capacity
	}
	return out, nil
}

func (s *Service) transactGetItems(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		TransactItems []struct {
			Get *struct {
				TableName                string            `json:"TableName"`
				Key                      attr.Item         `json:"Key"`
				ProjectionExpression     *string           `json:"ProjectionExpression"`
				ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
			} `json:"Get"`
		} `json:"TransactItems"`
		ReturnConsumedCapacity string `json:"ReturnConsumedCapacity"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.TransactItems) == 0 || len(in.TransactItems) > 100 {
		return nil, validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100 and greater than or equal to 1")
	}
	responses := make([]map[string]any, len(in.TransactItems))
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		for i, ti := range in.TransactItems {
			g := ti.Get
			if g == nil {
				return validation("1 validation error detected: Value null at 'transactItems.%d.member.get' failed to satisfy constraint: Member must not be null", i+1)
			}
			env, err := newEnv(g.ExpressionAttributeNames, nil, g.ProjectionExpression != nil)
			if err != nil {
				return err
			}
			proj, err := projectionOf(g.ProjectionExpression, nil, env)
			if err != nil {
				return err
			}
			if err := asValidation(env.CheckUnused(), false); err != nil {
				return err
			}
			region, name, err := s.tableRef(r, g.TableName)
			if err != nil {
				return err
			}
			t, err := loadTable(tx, region, name, notFound)
			if err != nil {
				return err
			}
			key, err := t.keys().fromKey(g.Key)
			if err != nil {
				return err
			}
			it, err := getItemDoc(tx, t, key)
			if err != nil {
				return err
			}
			responses[i] = map[string]any{}
			if it != nil {
				if proj != nil {
					it = proj.Apply(it)
				}
				responses[i]["Item"] = it
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Responses": responses}, nil
}

// transactOp is one TransactWriteItems action.
type transactOp struct {
	ConditionCheck *struct {
		exprInput
		TableName                           string    `json:"TableName"`
		Key                                 attr.Item `json:"Key"`
		ReturnValuesOnConditionCheckFailure string    `json:"ReturnValuesOnConditionCheckFailure"`
	} `json:"ConditionCheck"`
	Put *struct {
		exprInput
		TableName                           string    `json:"TableName"`
		Item                                attr.Item `json:"Item"`
		ReturnValuesOnConditionCheckFailure string    `json:"ReturnValuesOnConditionCheckFailure"`
	} `json:"Put"`
	Delete *struct {
		exprInput
		TableName                           string    `json:"TableName"`
		Key                                 attr.Item `json:"Key"`
		ReturnValuesOnConditionCheckFailure string    `json:"ReturnValuesOnConditionCheckFailure"`
	} `json:"Delete"`
	Update *struct {
		exprInput
		TableName                           string    `json:"TableName"`
		Key                                 attr.Item `json:"Key"`
		UpdateExpression                    *string   `json:"UpdateExpression"`
		ReturnValuesOnConditionCheckFailure string    `json:"ReturnValuesOnConditionCheckFailure"`
	} `json:"Update"`
}

// prepared is a validated transaction action.
type prepared struct {
	table     string
	ex        *exprInput
	key       attr.Item // Key (or the Put item)
	put       attr.Item
	del       bool
	update    *expr.Update
	cond      expr.Cond
	onFailure string
}

func (s *Service) transactWriteItems(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		TransactItems          []transactOp `json:"TransactItems"`
		ClientRequestToken     string       `json:"ClientRequestToken"`
		ReturnConsumedCapacity string       `json:"ReturnConsumedCapacity"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.TransactItems) == 0 || len(in.TransactItems) > 100 {
		return nil, validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100 and greater than or equal to 1")
	}
	ops := make([]prepared, len(in.TransactItems))
	for i, ti := range in.TransactItems {
		p := &ops[i]
		var updateExpr *string
		n := 0
		if c := ti.ConditionCheck; c != nil {
			n++
			p.table, p.ex, p.key, p.onFailure = c.TableName, &c.exprInput, c.Key, c.ReturnValuesOnConditionCheckFailure
			if c.ConditionExpression == nil {
				return nil, validation("1 validation error detected: Value null at 'transactItems.%d.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null", i+1)
			}
		}
		if c := ti.Put; c != nil {
			n++
			p.table, p.ex, p.put, p.onFailure = c.TableName, &c.exprInput, c.Item, c.ReturnValuesOnConditionCheckFailure
		}
		if c := ti.Delete; c != nil {
			n++
			p.table, p.ex, p.key, p.del, p.onFailure = c.TableName, &c.exprInput, c.Key, true, c.ReturnValuesOnConditionCheckFailure
		}
		if c := ti.Update; c != nil {
			n++
			p.table, p.ex, p.key, p.onFailure = c.TableName, &c.exprInput, c.Key, c.ReturnValuesOnConditionCheckFailure
			updateExpr = c.UpdateExpression
			if updateExpr == nil {
				return nil, validation("1 validation error detected: Value null at 'transactItems.%d.member.update.updateExpression' failed to satisfy constraint: Member must not be null", i+1)
			}
		}
		if n != 1 {
			return nil, validation("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		if p.ex.Expected != nil {
			return nil, validation("Expected is not supported in TransactWriteItems; use ConditionExpression")
		}
		if err := checkReturnOnFailure(p.onFailure); err != nil {
			return nil, err
		}
		env, err := newEnv(p.ex.ExpressionAttributeNames, p.ex.ExpressionAttributeValues, p.ex.ConditionExpression != nil || updateExpr != nil)
		if err != nil {
			return nil, err
		}
		if updateExpr != nil {
			if p.update, err = expr.ParseUpdate(*updateExpr, env); err != nil {
				return nil, asValidation(err, false)
			}
		}
		if p.cond, err = condition(p.ex, env); err != nil {
			return nil, err
		}
		if err := asValidation(env.CheckUnused(), false); err != nil {
			return nil, err
		}
	}
	err := s.env.State.Update(ctx, func(tx *state.Tx) error {
		type target struct {
			t   *tableDoc
			key string
			old attr.Item
		}
		targets := make([]target, len(ops))
		seen := map[string]bool{}
		for i, p := range ops {
			region, name, err := s.tableRef(r, p.table)
			if err != nil {
				return err
			}
			t, err := loadTable(tx, region, name, notFound)
			if err != nil {
				return err
			}
			var key string
			if p.put != nil {
				key, err = t.keys().fromItem(p.put)
				if err == nil {
					err = checkItem(t, p.put)
				}
			} else {
				key, err = t.keys().fromKey(p.key)
			}
			if err != nil {
				return err
			}
			if seen[t.ID+"|"+key] {
				return validation("Transaction request cannot include multiple operations on one item")
			}
			seen[t.ID+"|"+key] = true
			if p.update != nil {
				ks := t.keys()
				for _, path := range p.update.Paths() {
					if path.Attr() == ks.hash || path.Attr() == ks.rng {
						return validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", path.Attr())
					}
				}
			}
			old, err := getItemDoc(tx, t, key)
			if err != nil {
				return err
			}
			targets[i] = target{t, key, old}
		}
		// Every condition is checked before anything is written.
		reasons := make([]map[string]any, len(ops))
		failed := false
		for i, p := range ops {
			reasons[i] = map[string]any{"Code": "None"}
			if p.cond != nil && !p.cond.Eval(targets[i].old) {
				failed = true
				reasons[i] = map[string]any{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
				if p.onFailure == "ALL_OLD" && targets[i].old != nil {
					reasons[i]["Item"] = targets[i].old
				}
			}
		}
		if failed {
			codes := make([]string, len(reasons))
			for i, rs := range reasons {
				codes[i] = rs["Code"].(string)
			}
			e := protocol.Errorf(http.StatusBadRequest, "TransactionCanceledException",
				"Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", "))
			e.Fields = map[string]any{"CancellationReasons": reasons}
			return e
		}
		for i, p := range ops {
			tg := targets[i]
			switch {
			case p.put != nil:
				if err := putItemDoc(tx, tg.t, tg.key, tg.old, p.put); err != nil {
					return err
				}
			case p.del:
				if err := deleteItemDoc(tx, tg.t, tg.key, tg.old); err != nil {
					return err
				}
			case p.update != nil:
				base := tg.old
				if base == nil {
					base = tg.t.keys().keyOnly(p.key)
				}
				item, err := p.update.Apply(base)
				if err != nil {
					return asValidation(err, false)
				}
				if err := checkItem(tg.t, item); err != nil {
					return err
				}
				if err := putItemDoc(tx, tg.t, tg.key, tg.old, item); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
