// Package pattern compiles and matches Amazon EventBridge event patterns:
// pure functions, no I/O, no state. The sandbox's EventBridge uses it for
// PutRule validation, PutEvents matching and TestEventPattern; anything else
// in vigil that needs to know whether a pattern matches an event may use it
// too.
//
// # Semantics
//
// What AWS documents and its open-source matcher (aws/event-ruler, whose
// JsonRuleCompiler is the reference for what is valid) do:
//
//   - A pattern is a JSON object. Each field holds either an object (a
//     nested pattern) or a non-empty array of match conditions. Fields are
//     ANDed, the conditions of one field are ORed. Fields absent from the
//     pattern are ignored; a named field must exist in the event at the same
//     nesting (except under "exists": false).
//   - Event arrays are "crushed": a leaf matches when any element matches;
//     a nested pattern matches when any object element matches it, so two
//     fields are never satisfied by different elements of one array.
//   - Exact values: strings match strings character by character; numbers
//     match numbers with the same text or, within ±5e9, the same value;
//     true, false and null match themselves (null is not "").
//   - Operators, each an object with one key: prefix, suffix (a string, or
//     {"equals-ignore-case": s}), equals-ignore-case, wildcard ("*" matches
//     any run of characters; "\*" and "\\" escape; "**" is invalid),
//     anything-but (a string, a number, a non-empty list of only strings or
//     only numbers, or {"prefix": s}, {"suffix": s},
//     {"equals-ignore-case": s or [s…]}, {"wildcard": s or [s…]}), numeric
//     (["=", n], or one or two bounds [">", n, "<=", m] with n < m, numbers
//     within ±5e9), cidr (IPv4 or IPv6 prefix), exists (true or false; a
//     field whose value is an object is not a leaf, so it does not exist as
//     a leaf).
//   - "$or": an array of at least two non-empty objects, each a pattern
//     evaluated at the same level; operator names cannot be field names
//     inside it.
//
// Malformed patterns fail Compile with an *Error whose message is what
// EventBridge says ("Event pattern is not valid. Reason: …").
//
// One known difference from event-ruler: "exists": false under a nested
// pattern is evaluated per array element, so an event whose array has one
// element with the field and one without matches it.
//
// # Example
//
//	p, err := pattern.Compile([]byte(`{"source":["aws.cloudwatch"],"detail":{"state":{"value":["ALARM"]}}}`))
//	if err != nil { … }
//	ok, err := p.MatchJSON(eventBytes)
package pattern
