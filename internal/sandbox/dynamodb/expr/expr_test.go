package expr_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/expr"
)

// item decodes an item from DynamoDB JSON.
func item(t testing.TB, s string) attr.Item {
	t.Helper()
	if s == "" {
		return nil
	}
	var it attr.Item
	if err := json.Unmarshal([]byte(s), &it); err != nil {
		t.Fatalf("bad test item %s: %v", s, err)
	}
	return it
}

func values(t testing.TB, s string) map[string]attr.Value {
	t.Helper()
	if s == "" {
		return nil
	}
	var m map[string]attr.Value
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test values %s: %v", s, err)
	}
	return m
}

const doc = `{
	"pk": {"S": "user#1"},
	"n": {"N": "10"},
	"f": {"N": "2.5"},
	"s": {"S": "hello world"},
	"b": {"B": "AQID"},
	"ok": {"BOOL": true},
	"nil": {"NULL": true},
	"tags": {"SS": ["a", "b"]},
	"nums": {"NS": ["1", "2"]},
	"lst": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"deep": {"S": "y"}}}]},
	"m": {"M": {"inr": {"N": "5"}, "name": {"S": "z"}, "status": {"S": "on"}}},
	"emp": {"S": ""}
}`

func TestConditionEval(t *testing.T) {
	t.Parallel()
	vals := `{":ten": {"N": "10"}, ":ten2": {"N": "1e1"}, ":five": {"N": "5"}, ":twenty": {"N": "20"},
		":s": {"S": "hello world"}, ":hel": {"S": "hel"}, ":a": {"S": "a"}, ":zz": {"S": "zz"}, ":x": {"S": "x"},
		":b": {"B": "AQID"}, ":b1": {"B": "AQ=="}, ":one": {"N": "1"}, ":three": {"N": "3"}, ":t": {"BOOL": true},
		":typeS": {"S": "S"}, ":typeSS": {"S": "SS"}, ":typeN": {"S": "N"}, ":typeM": {"S": "M"}, ":typeNULL": {"S": "NULL"},
		":set": {"SS": ["b", "a"]}, ":neg": {"N": "-3"}, ":on": {"S": "on"}, ":wor": {"S": "wor"}, ":two": {"N": "2"}}`
	names := map[string]string{"#st": "status", "#n": "n", "#dot": "a.b"}
	tests := []struct {
		name string
		cond string
		want bool
	}{
		{"eq number", "n = :ten", true},
		{"eq number other form", "n = :ten2", true},
		{"eq wrong type", "n = :s", false},
		{"ne", "n <> :five", true},
		{"ne missing attribute", "absent <> :five", true},
		{"lt", "n < :twenty", true},
		{"le equal", "n <= :ten", true},
		{"gt false", "n > :ten", false},
		{"ge", "n >= :five", true},
		{"number vs negative", "n > :neg", true},
		{"decimal", "f < :three", true},
		{"string order", "s < :zz", true},
		{"binary compare", "b > :b1", true},
		{"compare different types is false", "s < :ten", false},
		{"missing attribute compare", "absent < :ten", false},
		{"between", "n BETWEEN :five AND :twenty", true},
		{"between inclusive", "n between :ten and :ten", true},
		{"between outside", "n BETWEEN :one AND :five", false},
		{"in", "n IN (:one, :ten)", true},
		{"in none", "n IN (:one, :five)", false},
		{"in string", "s IN (:s)", true},
		{"and", "n = :ten AND s = :s", true},
		{"or", "n = :one OR s = :s", true},
		{"not", "NOT n = :one", true},
		{"precedence and over or", "n = :one AND s = :s OR ok = :t", true},
		{"precedence not over and", "NOT n = :one AND n = :ten", true},
		{"parens", "n = :one AND (s = :s OR ok = :t)", false},
		{"attribute_exists", "attribute_exists(pk)", true},
		{"attribute_exists missing", "attribute_exists(nope)", false},
		{"attribute_not_exists", "attribute_not_exists(nope)", true},
		{"attribute_exists nested", "attribute_exists(m.inr)", true},
		{"attribute_exists list index", "attribute_exists(lst[2].deep)", true},
		{"attribute_exists list out of range", "attribute_exists(lst[3])", false},
		{"attribute_type S", "attribute_type(s, :typeS)", true},
		{"attribute_type SS", "attribute_type(tags, :typeSS)", true},
		{"attribute_type wrong", "attribute_type(s, :typeN)", false},
		{"attribute_type M", "attribute_type(m, :typeM)", true},
		{"attribute_type NULL", "attribute_type(nil, :typeNULL)", true},
		{"begins_with", "begins_with(s, :hel)", true},
		{"begins_with no", "begins_with(s, :wor)", false},
		{"begins_with binary", "begins_with(b, :b1)", true},
		{"begins_with number is false", "begins_with(n, :hel)", false},
		{"contains substring", "contains(s, :wor)", true},
		{"contains set", "contains(tags, :a)", true},
		{"contains set missing", "contains(tags, :zz)", false},
		{"contains number set", "contains(nums, :one)", true},
		{"contains list", "contains(lst, :x)", true},
		{"contains list number", "contains(lst, :three)", true},
		{"size string", "size(s) = :ten2", false},
		{"size string eleven", "size(s) > :ten", true},
		{"size set", "size(tags) = :two", true},
		{"size list", "size(lst) = :three", true},
		{"size map", "size(m) = :three", true},
		{"size of number is undefined", "size(n) > :one", false},
		{"size of empty string", "size(emp) < :one", true},
		{"set equality ignores order", "tags = :set", true},
		{"bool", "ok = :t", true},
		{"name placeholder for reserved word", "m.#st = :on", true},
		{"name placeholder with a dot is one name", "attribute_exists(#dot)", false},
		{"placeholder path", "#n = :ten", true},
		{"value on the left", ":ten = n", true},
		{"path compared with path", "n = n", true},
		{"nested not", "NOT NOT attribute_exists(pk)", true},
		{"keywords any case", "n = :ten aNd NoT n = :one oR n = :one", true},
	}
	it := item(t, doc)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := expr.NewEnv(names, values(t, vals))
			c, err := expr.ParseCondition("ConditionExpression", tt.cond, env)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.cond, err)
			}
			if got := c.Eval(it); got != tt.want {
				t.Errorf("%q = %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

func TestConditionOnMissingItem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cond string
		want bool
	}{
		{"attribute_not_exists(LockID)", true},
		{"attribute_exists(LockID)", false},
		{"LockID = :v", false},
		{"LockID <> :v", true},
	}
	for _, tt := range tests {
		env := expr.NewEnv(nil, map[string]attr.Value{":v": attr.Str("x")})
		c, err := expr.ParseCondition("ConditionExpression", tt.cond, env)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.cond, err)
		}
		if got := c.Eval(nil); got != tt.want {
			t.Errorf("%q on no item = %v, want %v", tt.cond, got, tt.want)
		}
	}
}

func TestConditionErrors(t *testing.T) {
	t.Parallel()
	vals := `{":v": {"S": "x"}, ":n": {"N": "1"}, ":n5": {"N": "5"}, ":b": {"BOOL": true}, ":bad": {"S": "XX"}}`
	tests := []struct {
		name    string
		cond    string
		wantMsg string
	}{
		{"emp", "  ", "Invalid ConditionExpression: The expression can not be empty;"},
		{"dangling and", "a = :v AND", `Syntax error; token: "<EOF>"`},
		{"missing operand", "a =", `Syntax error; token: "<EOF>"`},
		{"unbalanced paren", "(a = :v", `Syntax error; token: "<EOF>"`},
		{"extra paren", "a = :v)", `Syntax error; token: ")"`},
		{"bad character", "a = :v ; b", `Syntax error; token: ";"`},
		{"double comparator", "a = = :v", `Syntax error; token: "="`},
		{"bare path", "a", `Syntax error; token: "<EOF>"`},
		{"undefined value", "a = :nope", "An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"undefined name", "#nope = :v", "An expression attribute name used in the document path is not defined; attribute name: #nope"},
		{"reserved word", "status = :v", "Attribute name is a reserved keyword; reserved keyword: status"},
		{"reserved word nested", "a.name = :v", "Attribute name is a reserved keyword; reserved keyword: name"},
		{"unknown function", "foo(a)", "Invalid function name; function: foo"},
		{"size as condition", "size(a)", "The function is not allowed to be used this way in an expression; function: size"},
		{"condition function as operand", "a = attribute_exists(b)", "The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"wrong arity", "begins_with(a)", "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"},
		{"exists needs a path", "attribute_exists(:v)", "Operator or function requires a document path; operator or function: attribute_exists"},
		{"bad type name", "attribute_type(a, :bad)", "Invalid attribute type name found in type operand of attribute_type function; type: XX"},
		{"order a boolean", "a < :b", "Incorrect operand type for operator or function; operator or function: <, operand type: BOOLEAN"},
		{"between reversed", "a BETWEEN :n5 AND :n", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound"},
		{"between mixed types", "a BETWEEN :n AND :v", "The BETWEEN operator requires same data type for lower and upper bounds"},
		{"between without and", "a BETWEEN :n :n5", `Syntax error; token: ":n5"`},
		{"in empty", "a IN ()", `Syntax error; token: ")"`},
		{"bad list index", "a[x] = :v", `Syntax error; token: "x"`},
		{"lone hash", "# = :v", `Syntax error; token: "#"`},
		{"not alone", "NOT", `Syntax error; token: "<EOF>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := expr.NewEnv(nil, values(t, vals))
			_, err := expr.ParseCondition("ConditionExpression", tt.cond, env)
			var e *expr.Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: want *expr.Error, got %v", tt.cond, err)
			}
			if !strings.Contains(e.Msg, tt.wantMsg) {
				t.Errorf("%q: message %q does not contain %q", tt.cond, e.Msg, tt.wantMsg)
			}
			if !strings.HasPrefix(e.Msg, "Invalid ConditionExpression: ") {
				t.Errorf("%q: message %q lacks the expression prefix", tt.cond, e.Msg)
			}
		})
	}
}

func TestInLimit(t *testing.T) {
	t.Parallel()
	vals := map[string]attr.Value{":v": attr.Str("x")}
	list := strings.TrimSuffix(strings.Repeat(":v, ", 101), ", ")
	_, err := expr.ParseCondition("FilterExpression", "a IN ("+list+")", expr.NewEnv(nil, vals))
	if err == nil || !strings.Contains(err.Error(), "Too many operands for IN") {
		t.Fatalf("want too many operands, got %v", err)
	}
}

func TestDeepNestingIsRejected(t *testing.T) {
	t.Parallel()
	vals := map[string]attr.Value{":v": attr.Str("x")}
	deep := strings.Repeat("(", 500) + "a = :v" + strings.Repeat(")", 500)
	if _, err := expr.ParseCondition("ConditionExpression", deep, expr.NewEnv(nil, vals)); err == nil {
		t.Fatal("want an error for absurd nesting")
	}
	nots := strings.Repeat("NOT ", 500) + "a = :v"
	if _, err := expr.ParseCondition("ConditionExpression", nots, expr.NewEnv(nil, vals)); err == nil {
		t.Fatal("want an error for absurd NOT nesting")
	}
}

func TestCheckUnused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		names   map[string]string
		vals    map[string]attr.Value
		cond    string
		wantErr string
	}{
		{"all used", map[string]string{"#a": "a"}, map[string]attr.Value{":v": attr.Str("x")}, "#a = :v", ""},
		{"unused value", nil, map[string]attr.Value{":v": attr.Str("x"), ":w": attr.Str("y")}, "a = :v", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"},
		{"unused name", map[string]string{"#a": "a", "#b": "b"}, map[string]attr.Value{":v": attr.Str("x")}, "#a = :v", "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := expr.NewEnv(tt.names, tt.vals)
			if _, err := expr.ParseCondition("ConditionExpression", tt.cond, env); err != nil {
				t.Fatal(err)
			}
			err := env.CheckUnused()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("CheckUnused = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	vals := `{":one": {"N": "1"}, ":five": {"N": "5"}, ":x": {"S": "x"}, ":set": {"SS": ["c", "a"]},
		":rm": {"SS": ["a", "b"]}, ":l": {"L": [{"S": "new"}]}, ":dec": {"N": "0.1"}, ":m": {"M": {}}}`
	tests := []struct {
		name   string
		update string
		before string
		want   string
	}{
		{"set new attribute", "SET a = :x", `{"pk": {"S": "k"}}`, `{"pk": {"S": "k"}, "a": {"S": "x"}}`},
		{"set on a missing item", "SET a = :x", ``, `{"a": {"S": "x"}}`},
		{"increment", "SET n = n + :one", `{"n": {"N": "10"}}`, `{"n": {"N": "11"}}`},
		{"decrement to negative", "SET n = n - :five", `{"n": {"N": "1"}}`, `{"n": {"N": "-4"}}`},
		{"decimal arithmetic is exact", "SET n = n + :dec", `{"n": {"N": "0.2"}}`, `{"n": {"N": "0.3"}}`},
		{"if_not_exists missing", "SET c = if_not_exists(c, :five)", `{}`, `{"c": {"N": "5"}}`},
		{"if_not_exists present", "SET c = if_not_exists(c, :five)", `{"c": {"N": "1"}}`, `{"c": {"N": "1"}}`},
		{"counter with if_not_exists", "SET c = if_not_exists(c, :five) + :one", `{}`, `{"c": {"N": "6"}}`},
		{"list_append", "SET l = list_append(l, :l)", `{"l": {"L": [{"S": "old"}]}}`, `{"l": {"L": [{"S": "old"}, {"S": "new"}]}}`},
		{"swap reads the old item", "SET a = b, b = a", `{"a": {"S": "1"}, "b": {"S": "2"}}`, `{"a": {"S": "2"}, "b": {"S": "1"}}`},
		{"set nested", "SET m.k = :x", `{"m": {"M": {}}}`, `{"m": {"M": {"k": {"S": "x"}}}}`},
		{"set list element", "SET l[0] = :x", `{"l": {"L": [{"S": "old"}]}}`, `{"l": {"L": [{"S": "x"}]}}`},
		{"set past the end appends", "SET l[9] = :x", `{"l": {"L": [{"S": "old"}]}}`, `{"l": {"L": [{"S": "old"}, {"S": "x"}]}}`},
		{"remove", "REMOVE a, b", `{"a": {"S": "1"}, "b": {"S": "2"}, "c": {"S": "3"}}`, `{"c": {"S": "3"}}`},
		{"remove missing is fine", "REMOVE nope", `{"c": {"S": "3"}}`, `{"c": {"S": "3"}}`},
		{"remove list elements by original index", "REMOVE l[0], l[2]", `{"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]}}`, `{"l": {"L": [{"N": "1"}, {"N": "3"}]}}`},
		{"add number", "ADD n :five", `{"n": {"N": "10"}}`, `{"n": {"N": "15"}}`},
		{"add number to missing", "ADD n :five", `{}`, `{"n": {"N": "5"}}`},
		{"add to set", "ADD s :set", `{"s": {"SS": ["a", "b"]}}`, `{"s": {"SS": ["a", "b", "c"]}}`},
		{"delete from set", "DELETE s :rm", `{"s": {"SS": ["a", "b", "c"]}}`, `{"s": {"SS": ["c"]}}`},
		{"delete everything removes the attribute", "DELETE s :rm", `{"s": {"SS": ["a", "b"]}, "k": {"S": "k"}}`, `{"k": {"S": "k"}}`},
		{"all four clauses", "SET a = :x REMOVE b ADD n :one DELETE s :rm", `{"b": {"S": "1"}, "n": {"N": "1"}, "s": {"SS": ["a", "z"]}}`, `{"a": {"S": "x"}, "n": {"N": "2"}, "s": {"SS": ["z"]}}`},
		{"clauses any order and case", "remove b set a = :x", `{"b": {"S": "1"}}`, `{"a": {"S": "x"}}`},
		{"set a map value", "SET m = :m", `{}`, `{"m": {"M": {}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := expr.NewEnv(nil, values(t, vals))
			u, err := expr.ParseUpdate(tt.update, env)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.update, err)
			}
			before := item(t, tt.before)
			snapshot, _ := json.Marshal(before)
			got, err := u.Apply(before)
			if err != nil {
				t.Fatalf("apply %q: %v", tt.update, err)
			}
			want := item(t, tt.want)
			if !itemsEqual(got, want) {
				gj, _ := json.Marshal(got)
				t.Errorf("%q:\n got  %s\n want %s", tt.update, gj, tt.want)
			}
			if after, _ := json.Marshal(before); string(after) != string(snapshot) {
				t.Errorf("Apply modified its input: %s → %s", snapshot, after)
			}
		})
	}
}

func itemsEqual(a, b attr.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !attr.Equal(v, w) {
			return false
		}
	}
	return true
}

func TestUpdateErrors(t *testing.T) {
	t.Parallel()
	vals := `{":x": {"S": "x"}, ":one": {"N": "1"}, ":set": {"SS": ["a"]}}`
	tests := []struct {
		name     string
		update   string
		before   string
		parseErr string
		applyErr string
	}{
		{"section twice", "SET a = :x SET b = :x", "", `The "SET" section can only be used once in an update expression;`, ""},
		{"no clause keyword", "a = :x", "", `Syntax error; token: "a"`, ""},
		{"overlapping paths", "SET a = :x REMOVE a.b", "", "Two document paths overlap with each other", ""},
		{"conflicting paths", "SET a = :x, a = :x", "", "Two document paths conflict with each other", ""},
		{"add a string", "ADD a :x", "", "Incorrect operand type for operator or function; operator: ADD, operand type: STRING", ""},
		{"delete a number", "DELETE a :one", "", "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER", ""},
		{"plus a string", "SET a = b + :x", "", "Incorrect operand type for operator or function; operator: +, operand type: STRING", ""},
		{"size in update", "SET a = size(b)", "", "The function is not allowed to be used this way in an expression; function: size", ""},
		{"arithmetic on missing", "SET a = b + :one", `{}`, "", "The provided expression refers to an attribute that does not exist in the item"},
		{"arithmetic on a string", "SET a = b + :one", `{"b": {"S": "1"}}`, "", "An operand in the update expression has an incorrect data type"},
		{"nested set without parent", "SET a.b = :x", `{}`, "", "The document path provided in the update expression is invalid for update"},
		{"add to a string attribute", "ADD a :one", `{"a": {"S": "s"}}`, "", "An operand in the update expression has an incorrect data type"},
		{"delete from wrong set type", "DELETE a :set", `{"a": {"NS": ["1"]}}`, "", "An operand in the update expression has an incorrect data type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := expr.NewEnv(nil, values(t, vals))
			u, err := expr.ParseUpdate(tt.update, env)
			if tt.parseErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.parseErr) {
					t.Fatalf("parse %q = %v, want %q", tt.update, err, tt.parseErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse %q: %v", tt.update, err)
			}
			_, err = u.Apply(item(t, tt.before))
			if err == nil || !strings.Contains(err.Error(), tt.applyErr) {
				t.Fatalf("apply %q = %v, want %q", tt.update, err, tt.applyErr)
			}
		})
	}
}

func TestProjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		proj string
		want string
	}{
		{"top level", "pk, n", `{"pk": {"S": "user#1"}, "n": {"N": "10"}}`},
		{"missing ignored", "pk, nope", `{"pk": {"S": "user#1"}}`},
		{"nested map", "m.inr", `{"m": {"M": {"inr": {"N": "5"}}}}`},
		{"list element", "lst[1]", `{"lst": {"L": [{"N": "3"}]}}`},
		{"deep", "lst[2].deep", `{"lst": {"L": [{"M": {"deep": {"S": "y"}}}]}}`},
		{"placeholder", "#s", `{"status": {"S": "x"}}`},
	}
	it := item(t, doc)
	it["status"] = attr.Str("x")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := expr.NewEnv(map[string]string{"#s": "status"}, nil)
			if tt.name != "placeholder" {
				env = expr.NewEnv(nil, nil)
			}
			p, err := expr.ParseProjection(tt.proj, env)
			if err != nil {
				t.Fatal(err)
			}
			got := p.Apply(it)
			if want := item(t, tt.want); !itemsEqual(got, want) {
				gj, _ := json.Marshal(got)
				t.Errorf("%q:\n got  %s\n want %s", tt.proj, gj, tt.want)
			}
		})
	}
	if _, err := expr.ParseProjection("a, a.b", expr.NewEnv(nil, nil)); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("overlapping projection: got %v", err)
	}
}

func TestKeyCondition(t *testing.T) {
	t.Parallel()
	vals := `{":h": {"S": "h"}, ":lo": {"N": "1"}, ":hi": {"N": "9"}, ":p": {"S": "ab"}}`
	tests := []struct {
		name    string
		cond    string
		rangeIn string // a sort key value to evaluate the range condition on
		want    bool
		wantErr string
	}{
		{"hash only", "pk = :h", "", true, ""},
		{"hash on the right", ":h = pk", "", true, ""},
		{"range lt", "pk = :h AND sk < :hi", `{"N": "5"}`, true, ""},
		{"range flipped", "pk = :h AND :hi > sk", `{"N": "5"}`, true, ""},
		{"range between", "pk = :h AND sk BETWEEN :lo AND :hi", `{"N": "10"}`, false, ""},
		{"range begins_with", "pk = :h AND begins_with(sk, :p)", `{"S": "abc"}`, true, ""},
		{"range first", "sk >= :lo AND pk = :h", `{"N": "1"}`, true, ""},
		{"missing hash", "sk = :lo", "", false, "Query condition missed key schema element: pk"},
		{"hash not equality", "pk > :h", "", false, "Query key condition not supported"},
		{"or", "pk = :h OR sk = :lo", "", false, "Invalid operator used in KeyConditionExpression: OR"},
		{"non-key attribute", "pk = :h AND attr2 = :lo", "", false, "Query condition missed key schema element"},
		{"contains", "pk = :h AND contains(sk, :p)", "", false, "Invalid operator used in KeyConditionExpression: contains"},
		{"three conditions", "pk = :h AND sk > :lo AND sk < :hi", "", false, "more than two conditions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kc, err := expr.ParseKeyCondition(tt.cond, expr.NewEnv(nil, values(t, vals)), "pk", "sk")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("%q = %v, want %q", tt.cond, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if kc.Hash.S != "h" {
				t.Errorf("hash = %+v", kc.Hash)
			}
			if tt.rangeIn == "" {
				if kc.Range != nil && tt.cond == "pk = :h" {
					t.Errorf("unexpected range condition")
				}
				return
			}
			it := item(t, `{"sk": `+tt.rangeIn+`}`)
			if got := kc.Range.Eval(it); got != tt.want {
				t.Errorf("range(%s) = %v, want %v", tt.rangeIn, got, tt.want)
			}
		})
	}
}

func TestLegacy(t *testing.T) {
	t.Parallel()
	it := item(t, `{"a": {"S": "abc"}, "n": {"N": "5"}, "tags": {"SS": ["x"]}}`)
	tests := []struct {
		name, attrName, op string
		vals               []attr.Value
		want               bool
		wantErr            string
	}{
		{"eq", "a", "EQ", []attr.Value{attr.Str("abc")}, true, ""},
		{"ne missing", "zz", "NE", []attr.Value{attr.Str("abc")}, true, ""},
		{"null", "zz", "NULL", nil, true, ""},
		{"not null", "a", "NOT_NULL", nil, true, ""},
		{"contains", "tags", "CONTAINS", []attr.Value{attr.Str("x")}, true, ""},
		{"not contains missing", "zz", "NOT_CONTAINS", []attr.Value{attr.Str("x")}, false, ""},
		{"begins", "a", "BEGINS_WITH", []attr.Value{attr.Str("ab")}, true, ""},
		{"between", "n", "BETWEEN", []attr.Value{{T: attr.N, S: "1"}, {T: attr.N, S: "9"}}, true, ""},
		{"in", "n", "IN", []attr.Value{{T: attr.N, S: "1"}, {T: attr.N, S: "5"}}, true, ""},
		{"wrong count", "a", "EQ", nil, false, "Invalid number of argument(s) for the EQ ComparisonOperator"},
		{"bad operator", "a", "LIKE", nil, false, "comparisonOperator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := expr.Legacy(tt.attrName, tt.op, tt.vals)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Eval(it); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzConditionExpression feeds arbitrary text to the condition, update,
// projection and key-condition parsers: each must answer with a value or
// an *expr.Error, never panic or hang, and a parsed condition must
// evaluate without panicking.
func FuzzConditionExpression(f *testing.F) {
	seeds := []string{
		"attribute_not_exists(LockID)",
		"a = :v AND (b <> :w OR NOT c BETWEEN :v AND :w)",
		"size(a.b[3].#n) >= :v",
		"contains(tags, :v) OR begins_with(#n, :w)",
		"a IN (:v, :w, :v)",
		"attribute_type(a, :t)",
		"SET a = a + :v, b = if_not_exists(b, :w) REMOVE c[1] ADD d :v DELETE e :s",
		"SET l = list_append(:l, l)",
		"((((a = :v))))",
		"a[99999999999999999999] = :v",
		"#n.#n[0].x, y",
		"pk = :v AND sk BETWEEN :v AND :w",
		"\x00\xff = :v",
		"NOT NOT NOT",
		"a = :v ) (",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	names := map[string]string{"#n": "name"}
	vals := map[string]attr.Value{
		":v": {T: attr.N, S: "1"}, ":w": {T: attr.N, S: "2"}, ":t": attr.Str("S"),
		":s": {T: attr.SS, Set: []string{"a"}}, ":l": {T: attr.L, L: []attr.Value{attr.Str("x")}},
	}
	it := attr.Item{"a": {T: attr.N, S: "1"}, "name": {T: attr.M, M: map[string]attr.Value{"name": {T: attr.L, L: []attr.Value{attr.Str("q")}}}},
		"l": {T: attr.L, L: []attr.Value{attr.Str("x")}}, "e": {T: attr.SS, Set: []string{"a", "b"}}}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(err error) {
			var e *expr.Error
			var ae *attr.Error
			if err != nil && !errors.As(err, &e) && !errors.As(err, &ae) {
				t.Fatalf("%q: error of type %T: %v", s, err, err)
			}
		}
		if c, err := expr.ParseCondition("ConditionExpression", s, expr.NewEnv(names, vals)); err == nil {
			c.Eval(it)
			c.Eval(nil)
		} else {
			check(err)
		}
		if u, err := expr.ParseUpdate(s, expr.NewEnv(names, vals)); err == nil {
			_, err := u.Apply(it)
			check(err)
			_, err = u.Apply(nil)
			check(err)
		} else {
			check(err)
		}
		if p, err := expr.ParseProjection(s, expr.NewEnv(names, vals)); err == nil {
			p.Apply(it)
		} else {
			check(err)
		}
		if kc, err := expr.ParseKeyCondition(s, expr.NewEnv(names, vals), "a", "name"); err == nil {
			if kc.Range != nil {
				kc.Range.Eval(it)
			}
		} else {
			check(err)
		}
	})
}
