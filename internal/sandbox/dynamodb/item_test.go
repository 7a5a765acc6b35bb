package dynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vigil-sre/vigil/internal/sandbox/sandboxtest"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func str(t *testing.T, item map[string]types.AttributeValue, name string) string {
	t.Helper()
	switch v := item[name].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	case nil:
		return "<missing>"
	}
	return fmt.Sprintf("%T", item[name])
}

func TestPutGetDeleteItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	lockTable(t, c, "items")
	item := map[string]types.AttributeValue{
		"LockID": s("bucket/key"),
		"Num":    n("01.50"),
		"Bin":    &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
		"Bool":   &types.AttributeValueMemberBOOL{Value: true},
		"Null":   &types.AttributeValueMemberNULL{Value: true},
		"SS":     &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"NS":     &types.AttributeValueMemberNS{Value: []string{"1", "2.0"}},
		"L":      &types.AttributeValueMemberL{Value: []types.AttributeValue{s("x"), n("3")}},
		"M":      &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"deep": s("y")}},
		"Empty":  s(""),
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"), Item: item}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: map[string]types.AttributeValue{"LockID": s("bucket/key")}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Item) != len(item) || str(t, got.Item, "Num") != "1.5" {
		t.Errorf("GetItem = %v", got.Item)
	}
	if m, ok := got.Item["M"].(*types.AttributeValueMemberM); !ok || str(t, m.Value, "deep") != "y" {
		t.Errorf("map = %v", got.Item["M"])
	}
	proj, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: map[string]types.AttributeValue{"LockID": s("bucket/key")},
		ProjectionExpression: aws.String("LockID, M.deep, #l[1]"), ExpressionAttributeNames: map[string]string{"#l": "L"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(proj.Item) != 3 {
		t.Errorf("projection = %v", proj.Item)
	}
	if l, ok := proj.Item["L"].(*types.AttributeValueMemberL); !ok || len(l.Value) != 1 || str(t, map[string]types.AttributeValue{"x": l.Value[0]}, "x") != "3" {
		t.Errorf("projected list = %v", proj.Item["L"])
	}
	missing, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: map[string]types.AttributeValue{"LockID": s("nope")}})
	if err != nil || missing.Item != nil {
		t.Errorf("GetItem of a missing item = %v, %v", missing.Item, err)
	}
	d, _ := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("items")})
	if aws.ToInt64(d.Table.ItemCount) != 1 || aws.ToInt64(d.Table.TableSizeBytes) == 0 {
		t.Errorf("ItemCount %d, size %d", aws.ToInt64(d.Table.ItemCount), aws.ToInt64(d.Table.TableSizeBytes))
	}
	del, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("items"), Key: map[string]types.AttributeValue{"LockID": s("bucket/key")},
		ReturnValues: types.ReturnValueAllOld})
	if err != nil || str(t, del.Attributes, "Num") != "1.5" {
		t.Fatalf("DeleteItem ALL_OLD = %v, %v", del.Attributes, err)
	}
	d, _ = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("items")})
	if aws.ToInt64(d.Table.ItemCount) != 0 || aws.ToInt64(d.Table.TableSizeBytes) != 0 {
		t.Errorf("after delete: ItemCount %d, size %d", aws.ToInt64(d.Table.ItemCount), aws.ToInt64(d.Table.TableSizeBytes))
	}
	// Deleting what is not there is fine.
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("items"), Key: map[string]types.AttributeValue{"LockID": s("bucket/key")}}); err != nil {
		t.Fatal(err)
	}
}

func TestItemValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	lockTable(t, c, "val")
	orderTable(t, c, "orders")
	key := map[string]types.AttributeValue{"LockID": s("k")}
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"missing table", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("nope"), Item: key})
			return err
		}, "ResourceNotFoundException"},
		{"missing key attribute", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: map[string]types.AttributeValue{"x": s("1")}})
			return err
		}, "ValidationException"},
		{"key of the wrong type", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: map[string]types.AttributeValue{"LockID": n("1")}})
			return err
		}, "ValidationException"},
		{"empty string key", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: map[string]types.AttributeValue{"LockID": s("")}})
			return err
		}, "ValidationException"},
		{"index key of the wrong type", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: map[string]types.AttributeValue{"pk": s("a"), "sk": n("1"), "owner": n("5")}})
			return err
		}, "ValidationException"},
		{"get with a partial key", func() error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: map[string]types.AttributeValue{"pk": s("a")}})
			return err
		}, "ValidationException"},
		{"get with an extra attribute", func() error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("val"), Key: map[string]types.AttributeValue{"LockID": s("a"), "x": s("b")}})
			return err
		}, "ValidationException"},
		{"invalid number", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: map[string]types.AttributeValue{"LockID": s("a"), "n": n("abc")}})
			return err
		}, "ValidationException"},
		{"duplicate set", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: map[string]types.AttributeValue{"LockID": s("a"), "ss": &types.AttributeValueMemberSS{Value: []string{"x", "x"}}}})
			return err
		}, "ValidationException"},
		{"syntax error", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: key, ConditionExpression: aws.String("attribute_not_exists(")})
			return err
		}, "ValidationException"},
		{"undefined value", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: key, ConditionExpression: aws.String("a = :v")})
			return err
		}, "ValidationException"},
		{"unused value", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: key, ConditionExpression: aws.String("attribute_not_exists(LockID)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("x")}})
			return err
		}, "ValidationException"},
		{"reserved word", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: key, ConditionExpression: aws.String("attribute_not_exists(status)")})
			return err
		}, "ValidationException"},
		{"values without an expression", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: key, ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("x")}})
			return err
		}, "ValidationException"},
		{"legacy and expression together", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: key, ConditionExpression: aws.String("attribute_not_exists(LockID)"),
				Expected: map[string]types.ExpectedAttributeValue{"LockID": {Exists: aws.Bool(false)}}})
			return err
		}, "ValidationException"},
		{"update a key attribute", func() error {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("val"), Key: key, UpdateExpression: aws.String("SET LockID = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("x")}})
			return err
		}, "ValidationException"},
		{"put bad return values", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: key, ReturnValues: types.ReturnValueAllNew})
			return err
		}, "ValidationException"},
		{"item too large", func() error {
			big := make([]byte, 401*1024)
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("val"), Item: map[string]types.AttributeValue{"LockID": s("a"), "b": &types.AttributeValueMemberB{Value: big}}})
			return err
		}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantCode(t, err, tt.code)
			if tt.code == "ResourceNotFoundException" {
				var nf *types.ResourceNotFoundException
				if !errors.As(err, &nf) {
					t.Errorf("not the SDK's typed ResourceNotFoundException: %T", err)
				}
			}
		})
	}
}

func TestConditionalLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	lockTable(t, c, "tf-locks")
	put := func(info string) error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                           aws.String("tf-locks"),
			Item:                                map[string]types.AttributeValue{"LockID": s("bucket/path"), "Info": s(info)},
			ConditionExpression:                 aws.String("attribute_not_exists(LockID)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		return err
	}
	if err := put(`{"ID":"first"}`); err != nil {
		t.Fatal(err)
	}
	err := put(`{"ID":"second"}`)
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("second lock: want ConditionalCheckFailedException, got %v", err)
	}
	if str(t, ccf.Item, "Info") != `{"ID":"first"}` {
		t.Errorf("the exception carries the holder's item: %v", ccf.Item)
	}
	// Without ReturnValuesOnConditionCheckFailure, no item.
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("tf-locks"),
		Item: map[string]types.AttributeValue{"LockID": s("bucket/path")}, ConditionExpression: aws.String("attribute_not_exists(LockID)")})
	if !errors.As(err, &ccf) || ccf.Item != nil {
		t.Errorf("plain failure: %v, item %v", err, ccf)
	}
	// Terraform unlocks with GetItem (projection) then DeleteItem.
	g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("tf-locks"), Key: map[string]types.AttributeValue{"LockID": s("bucket/path")},
		ProjectionExpression: aws.String("LockID, Info"), ConsistentRead: aws.Bool(true)})
	if err != nil || str(t, g.Item, "Info") != `{"ID":"first"}` {
		t.Fatalf("GetItem of the lock: %v, %v", g, err)
	}
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("tf-locks"), Key: map[string]types.AttributeValue{"LockID": s("bucket/path")}}); err != nil {
		t.Fatal(err)
	}
	if err := put(`{"ID":"third"}`); err != nil {
		t.Fatalf("relock after unlock: %v", err)
	}
}

func TestConcurrentLockHasOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	lockTable(t, c, "race")
	const racers = 16
	var wins, losses atomic.Int32
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("race"),
				Item:                map[string]types.AttributeValue{"LockID": s("the-lock"), "Who": s(strconv.Itoa(i))},
				ConditionExpression: aws.String("attribute_not_exists(LockID)")})
			var ccf *types.ConditionalCheckFailedException
			switch {
			case err == nil:
				wins.Add(1)
			case errors.As(err, &ccf):
				losses.Add(1)
			default:
				t.Errorf("racer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != racers-1 {
		t.Errorf("wins %d, losses %d", wins.Load(), losses.Load())
	}
}

func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	lockTable(t, c, "cond")
	key := map[string]types.AttributeValue{"LockID": s("doc")}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("cond"), Item: map[string]types.AttributeValue{
		"LockID": s("doc"), "version": n("1"), "state": s("draft"), "tags": &types.AttributeValueMemberSS{Value: []string{"a"}}}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		cond  string
		names map[string]string
		vals  map[string]types.AttributeValue
		ok    bool
	}{
		{"optimistic version match", "version = :v", nil, map[string]types.AttributeValue{":v": n("1")}, true},
		{"optimistic version mismatch", "version = :v", nil, map[string]types.AttributeValue{":v": n("2")}, false},
		{"number compared numerically", "version = :v", nil, map[string]types.AttributeValue{":v": n("1.000")}, true},
		{"exists and in", "attribute_exists(LockID) AND #st IN (:a, :b)", map[string]string{"#st": "state"}, map[string]types.AttributeValue{":a": s("draft"), ":b": s("final")}, true},
		{"between", "version BETWEEN :lo AND :hi", nil, map[string]types.AttributeValue{":lo": n("0"), ":hi": n("5")}, true},
		{"not contains", "NOT contains(tags, :t)", nil, map[string]types.AttributeValue{":t": s("a")}, false},
		{"size", "size(tags) = :one", nil, map[string]types.AttributeValue{":one": n("1")}, true},
		{"type", "attribute_type(version, :n)", nil, map[string]types.AttributeValue{":n": s("N")}, true},
		{"or with parens", "(version > :v OR begins_with(#st, :d))", map[string]string{"#st": "state"}, map[string]types.AttributeValue{":v": n("5"), ":d": s("dr")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("cond"), Key: key,
				UpdateExpression: aws.String("SET touched = :true"), ConditionExpression: aws.String(tt.cond),
				ExpressionAttributeNames: tt.names, ExpressionAttributeValues: merge(tt.vals, map[string]types.AttributeValue{":true": &types.AttributeValueMemberBOOL{Value: true}})})
			var ccf *types.ConditionalCheckFailedException
			switch {
			case tt.ok && err != nil:
				t.Errorf("%s: %v", tt.cond, err)
			case !tt.ok && !errors.As(err, &ccf):
				t.Errorf("%s: want ConditionalCheckFailedException, got %v", tt.cond, err)
			}
		})
	}
	// Legacy Expected works too.
	_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("cond"), Key: key,
		Expected: map[string]types.ExpectedAttributeValue{"version": {Value: n("7")}}})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Errorf("legacy Expected mismatch: %v", err)
	}
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("cond"), Key: key,
		Expected: map[string]types.ExpectedAttributeValue{"version": {ComparisonOperator: types.ComparisonOperatorLe, AttributeValueList: []types.AttributeValue{n("1")}}}}); err != nil {
		t.Errorf("legacy Expected match: %v", err)
	}
}

func merge(a, b map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestUpdateItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	lockTable(t, c, "upd")
	key := map[string]types.AttributeValue{"LockID": s("counter")}
	// UpdateItem creates a missing item.
	out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key,
		UpdateExpression:          aws.String("SET hits = if_not_exists(hits, :zero) + :one, #n = :name ADD visitors :v"),
		ExpressionAttributeNames:  map[string]string{"#n": "name"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": n("0"), ":one": n("1"), ":name": s("home"), ":v": &types.AttributeValueMemberSS{Value: []string{"ann"}}},
		ReturnValues:              types.ReturnValueAllNew})
	if err != nil {
		t.Fatal(err)
	}
	if str(t, out.Attributes, "hits") != "1" || str(t, out.Attributes, "LockID") != "counter" || str(t, out.Attributes, "name") != "home" {
		t.Errorf("ALL_NEW = %v", out.Attributes)
	}
	out, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key,
		UpdateExpression:          aws.String("SET hits = hits + :one REMOVE #n"),
		ExpressionAttributeNames:  map[string]string{"#n": "name"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")},
		ReturnValues:              types.ReturnValueUpdatedOld})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Attributes) != 2 || str(t, out.Attributes, "hits") != "1" || str(t, out.Attributes, "name") != "home" {
		t.Errorf("UPDATED_OLD = %v", out.Attributes)
	}
	out, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key,
		UpdateExpression:          aws.String("ADD hits :ten"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":ten": n("10")},
		ReturnValues:              types.ReturnValueUpdatedNew})
	if err != nil || len(out.Attributes) != 1 || str(t, out.Attributes, "hits") != "12" {
		t.Errorf("UPDATED_NEW = %v, %v", out.Attributes, err)
	}
	// Legacy AttributeUpdates.
	if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key,
		AttributeUpdates: map[string]types.AttributeValueUpdate{"hits": {Action: types.AttributeActionAdd, Value: n("-2")}, "visitors": {Action: types.AttributeActionDelete}}}); err != nil {
		t.Fatal(err)
	}
	g, _ := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("upd"), Key: key})
	if str(t, g.Item, "hits") != "10" || g.Item["visitors"] != nil {
		t.Errorf("after AttributeUpdates: %v", g.Item)
	}
	// A runtime type error is a ValidationException and changes nothing.
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key,
		UpdateExpression: aws.String("SET hits = hits + :s"), ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("x")}})
	wantCode(t, err, "ValidationException")
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key,
		UpdateExpression: aws.String("SET missing.deep = :s"), ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("x")}})
	wantCode(t, err, "ValidationException")
	// The condition sees the old item; failure carries it on request.
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key,
		UpdateExpression: aws.String("SET hits = :z"), ConditionExpression: aws.String("hits < :z"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":z": n("0")},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || str(t, ccf.Item, "hits") != "10" {
		t.Errorf("conditional update: %v", err)
	}
}

func putOrders(t *testing.T, c *dynamodb.Client) {
	t.Helper()
	var reqs []types.WriteRequest
	for i := 1; i <= 9; i++ {
		item := map[string]types.AttributeValue{"pk": s("cust#1"), "sk": n(strconv.Itoa(i)), "total": n(strconv.Itoa(100 - i*10)),
			"status": s(map[bool]string{true: "open", false: "closed"}[i%2 == 0])}
		if i <= 4 {
			item["owner"] = s("ann")
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": s("cust#2"), "sk": n("1"), "owner": s("ann"), "total": n("5")}}})
	if _, err := c.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"orders": reqs}}); err != nil {
		t.Fatal(err)
	}
}

func TestQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	orderTable(t, c, "orders")
	putOrders(t, c)
	q := func(in *dynamodb.QueryInput) *dynamodb.QueryOutput {
		t.Helper()
		in.TableName = aws.String("orders")
		out, err := c.Query(ctx, in)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		return out
	}
	sks := func(items []map[string]types.AttributeValue) string {
		var out []string
		for _, it := range items {
			out = append(out, str(t, it, "sk"))
		}
		return fmt.Sprint(out)
	}
	out := q(&dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("cust#1")}})
	if sks(out.Items) != "[1 2 3 4 5 6 7 8 9]" || out.Count != 9 {
		t.Errorf("all = %s", sks(out.Items))
	}
	out = q(&dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :a AND :b"), ScanIndexForward: aws.Bool(false),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("cust#1"), ":a": n("3"), ":b": n("6")}})
	if sks(out.Items) != "[6 5 4 3]" {
		t.Errorf("between backwards = %s", sks(out.Items))
	}
	out = q(&dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk > :a"), FilterExpression: aws.String("#s = :open"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("cust#1"), ":a": n("2"), ":open": s("open")}})
	if sks(out.Items) != "[4 6 8]" || out.Count != 3 || out.ScannedCount != 7 {
		t.Errorf("filter = %s count %d scanned %d", sks(out.Items), out.Count, out.ScannedCount)
	}
	out = q(&dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), Select: types.SelectCount,
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("cust#1")}})
	if out.Count != 9 || out.Items != nil {
		t.Errorf("COUNT = %d, items %v", out.Count, out.Items)
	}
	// Pagination with Limit.
	var pages []string
	p := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{TableName: aws.String("orders"), Limit: aws.Int32(4),
		KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("cust#1")}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, sks(page.Items))
	}
	if fmt.Sprint(pages) != "[[1 2 3 4] [5 6 7 8] [9]]" {
		t.Errorf("pages = %v", pages)
	}
	// GSI (keys only, ordered by total).
	out = q(&dynamodb.QueryInput{IndexName: aws.String("by-owner"), KeyConditionExpression: aws.String("#o = :o"),
		ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: map[string]types.AttributeValue{":o": s("ann")}})
	if len(out.Items) != 5 || str(t, out.Items[0], "total") != "5" || out.Items[0]["status"] != nil || len(out.Items[1]) != 4 {
		t.Errorf("GSI query = %v", out.Items)
	}
	// GSI pagination carries the index key in LastEvaluatedKey.
	out = q(&dynamodb.QueryInput{IndexName: aws.String("by-owner"), KeyConditionExpression: aws.String("#o = :o"), Limit: aws.Int32(2),
		ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: map[string]types.AttributeValue{":o": s("ann")}})
	if len(out.LastEvaluatedKey) != 4 {
		t.Errorf("GSI LastEvaluatedKey = %v", out.LastEvaluatedKey)
	}
	next := q(&dynamodb.QueryInput{IndexName: aws.String("by-owner"), KeyConditionExpression: aws.String("#o = :o"), ExclusiveStartKey: out.LastEvaluatedKey,
		ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: map[string]types.AttributeValue{":o": s("ann")}})
	if len(next.Items) != 3 {
		t.Errorf("second GSI page = %d items", len(next.Items))
	}
	// LSI (all attributes, ordered by total).
	out = q(&dynamodb.QueryInput{IndexName: aws.String("by-total"), KeyConditionExpression: aws.String("pk = :p AND #t < :t"),
		ExpressionAttributeNames: map[string]string{"#t": "total"}, ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("cust#1"), ":t": n("40")}})
	if sks(out.Items) != "[9 8 7]" || out.Items[0]["status"] == nil {
		t.Errorf("LSI query = %v", out.Items)
	}

	errs := []struct {
		name string
		in   *dynamodb.QueryInput
	}{
		{"no key condition", &dynamodb.QueryInput{}},
		{"no partition key", &dynamodb.QueryInput{KeyConditionExpression: aws.String("sk = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": n("1")}}},
		{"wrong key type", &dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": n("1")}}},
		{"consistent read on a GSI", &dynamodb.QueryInput{IndexName: aws.String("by-owner"), ConsistentRead: aws.Bool(true), KeyConditionExpression: aws.String("#o = :o"),
			ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: map[string]types.AttributeValue{":o": s("ann")}}},
		{"missing index", &dynamodb.QueryInput{IndexName: aws.String("nope"), KeyConditionExpression: aws.String("pk = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": s("x")}}},
		{"all attributes from a keys-only GSI", &dynamodb.QueryInput{IndexName: aws.String("by-owner"), Select: types.SelectAllAttributes, KeyConditionExpression: aws.String("#o = :o"),
			ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: map[string]types.AttributeValue{":o": s("ann")}}},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.TableName = aws.String("orders")
			_, err := c.Query(ctx, tt.in)
			wantCode(t, err, "ValidationException")
		})
	}
}

func TestScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	orderTable(t, c, "orders")
	putOrders(t, c)
	seen := map[string]bool{}
	pages := 0
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String("orders"), Limit: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range page.Items {
			k := str(t, it, "pk") + "/" + str(t, it, "sk")
			if seen[k] {
				t.Errorf("%s scanned twice", k)
			}
			seen[k] = true
		}
	}
	if len(seen) != 10 || pages < 4 {
		t.Errorf("scanned %d items in %d pages", len(seen), pages)
	}
	out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("orders"), FilterExpression: aws.String("#t >= :t"), ExpressionAttributeNames: map[string]string{"#t": "total"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": n("70")}, ProjectionExpression: aws.String("sk")})
	if err != nil || out.Count != 3 || out.ScannedCount != 10 || len(out.Items[0]) != 1 {
		t.Errorf("filtered scan: %+v, %v", out, err)
	}
	gsi, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("orders"), IndexName: aws.String("by-owner")})
	if err != nil || gsi.Count != 5 {
		t.Errorf("GSI scan: %d, %v", gsi.Count, err)
	}
	// Parallel scan segments partition the table.
	total := 0
	for seg := range 3 {
		out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("orders"), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(3)})
		if err != nil {
			t.Fatal(err)
		}
		total += int(out.Count)
	}
	if total != 10 {
		t.Errorf("segments cover %d items", total)
	}
	_, err = c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("orders"), Segment: aws.Int32(3), TotalSegments: aws.Int32(3)})
	wantCode(t, err, "ValidationException")
	// Legacy ScanFilter.
	legacy, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("orders"), ScanFilter: map[string]types.Condition{
		"owner": {ComparisonOperator: types.ComparisonOperatorNotNull}}})
	if err != nil || legacy.Count != 5 {
		t.Errorf("ScanFilter: %d, %v", legacy.Count, err)
	}
}

func TestBatchAndTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := client(t)
	lockTable(t, c, "tx-a")
	lockTable(t, c, "tx-b")
	if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"tx-a": {{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"LockID": s("1"), "v": n("1")}}},
			{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"LockID": s("2"), "v": n("2")}}}},
		"tx-b": {{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"LockID": s("1")}}}},
	}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"tx-a": {Keys: []map[string]types.AttributeValue{{"LockID": s("1")}, {"LockID": s("2")}, {"LockID": s("3")}}, ProjectionExpression: aws.String("v")},
		"tx-b": {Keys: []map[string]types.AttributeValue{{"LockID": s("1")}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, it := range got.Responses["tx-a"] {
		vs = append(vs, str(t, it, "v"))
	}
	sort.Strings(vs)
	if fmt.Sprint(vs) != "[1 2]" || len(got.Responses["tx-b"]) != 1 || len(got.UnprocessedKeys) != 0 {
		t.Errorf("BatchGetItem = %+v", got)
	}
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"tx-a": {{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"LockID": s("1")}}},
			{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"LockID": s("1")}}}},
	}})
	wantCode(t, err, "ValidationException")

	// A transaction whose condition fails writes nothing and says why.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("tx-a"), Item: map[string]types.AttributeValue{"LockID": s("3")}}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("tx-b"), Key: map[string]types.AttributeValue{"LockID": s("1")},
			ConditionExpression: aws.String("attribute_not_exists(LockID)")}},
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 || aws.ToString(tce.CancellationReasons[0].Code) != "None" ||
		aws.ToString(tce.CancellationReasons[1].Code) != "ConditionalCheckFailed" {
		t.Fatalf("cancelled transaction: %v", err)
	}
	g, _ := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("tx-a"), Key: map[string]types.AttributeValue{"LockID": s("3")}})
	if g.Item != nil {
		t.Error("a cancelled transaction wrote an item")
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("tx-a"), Item: map[string]types.AttributeValue{"LockID": s("3")}, ConditionExpression: aws.String("attribute_not_exists(LockID)")}},
		{Update: &types.Update{TableName: aws.String("tx-a"), Key: map[string]types.AttributeValue{"LockID": s("1")}, UpdateExpression: aws.String("ADD v :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")}}},
		{Delete: &types.Delete{TableName: aws.String("tx-b"), Key: map[string]types.AttributeValue{"LockID": s("1")}}},
	}}); err != nil {
		t.Fatal(err)
	}
	tg, err := c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("tx-a"), Key: map[string]types.AttributeValue{"LockID": s("1")}}},
		{Get: &types.Get{TableName: aws.String("tx-b"), Key: map[string]types.AttributeValue{"LockID": s("1")}}},
	}})
	if err != nil || str(t, tg.Responses[0].Item, "v") != "2" || tg.Responses[1].Item != nil {
		t.Errorf("TransactGetItems = %+v, %v", tg, err)
	}
}

func TestItemsSurviveRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	sb := sandboxtest.StartIn(t, dir)
	c := dynamodb.NewFromConfig(sb.AWSConfig())
	orderTable(t, c, "orders")
	putOrders(t, c)
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("orders"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sb.Close(closeCtx); err != nil {
		t.Fatal(err)
	}

	sb2 := sandboxtest.StartIn(t, dir)
	c2 := dynamodb.NewFromConfig(sb2.AWSConfig())
	d, err := c2.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
	if err != nil || aws.ToInt64(d.Table.ItemCount) != 10 || len(d.Table.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("table after restart: %+v, %v", d, err)
	}
	g, err := c2.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: map[string]types.AttributeValue{"pk": s("cust#1"), "sk": n("4")}})
	if err != nil || str(t, g.Item, "owner") != "ann" {
		t.Fatalf("item after restart: %v, %v", g.Item, err)
	}
	ttl, _ := c2.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("orders")})
	if ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL after restart: %+v", ttl.TimeToLiveDescription)
	}
}
