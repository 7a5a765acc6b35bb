// Package expr parses and evaluates DynamoDB expressions: condition and
// filter expressions (comparators, BETWEEN, IN, AND/OR/NOT, parentheses,
// attribute_exists, attribute_not_exists, attribute_type, begins_with,
// contains, size), key condition expressions, update expressions (SET with
// + and -, if_not_exists and list_append; REMOVE; ADD; DELETE) and
// projection expressions, with #name and :value placeholders resolved from
// an Env. It also builds conditions from the legacy parameters (Expected,
// KeyConditions, QueryFilter, ScanFilter).
//
// Every rejection is an *Error whose message is DynamoDB's (the dynamodb
// service answers it as ValidationException). Parsing is bounded (4 KB
// expressions, nesting depth) so hostile input cannot exhaust the stack.
//
// # Example
//
//	env := expr.NewEnv(nil, map[string]attr.Value{":v": attr.Str("x")})
//	c, err := expr.ParseCondition("ConditionExpression", "attribute_not_exists(LockID) OR owner = :v", env)
//	if err == nil {
//		err = env.CheckUnused()
//	}
//	ok := c.Eval(item) // nil item: the item does not exist
package expr
