// Package attr is DynamoDB's data model for the sandbox: the AttributeValue
// type (Value) with its wire JSON form and validation, exact decimal
// numbers (38 digits, DynamoDB's range) with numeric comparison and
// addition, equality and ordering as DynamoDB's expressions use them, item
// sizes, and the encoding of key values into state keys.
//
// It does no I/O. Validation failures are *Error, which the dynamodb
// service reports as ValidationException.
//
// # Example
//
//	var it attr.Item
//	_ = json.Unmarshal([]byte(`{"id":{"S":"a"},"n":{"N":"1.50"}}`), &it)
//	it["n"].S // "1.5": numbers are kept in canonical form
package attr
