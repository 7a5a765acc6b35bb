package protocol

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS-style error: a code SDKs branch on, a message for people,
// and the HTTP status the service answers with.
type Error struct {
	Code    string
	Message string
	Status  int
	// Fields are extra members of a JSON-protocol error body beside
	// __type and message (DynamoDB's ConditionalCheckFailedException
	// carries Item, TransactionCanceledException CancellationReasons).
	// The other protocols ignore them.
	Fields map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Sender reports whether the error is the caller's fault (4xx), which the
// query protocol reports as <Type>Sender</Type>.
func (e *Error) Sender() bool { return e.Status < 500 }

// Errorf builds an Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// NotImplemented is the answer for an operation the sandbox does not
// implement: an honest error naming it, never an empty success.
func NotImplemented(service, operation string) *Error {
	if operation == "" {
		operation = "(unknown operation)"
	}
	return &Error{
		Code:    "NotImplemented",
		Message: fmt.Sprintf("the vigil sandbox does not implement %s:%s", service, operation),
		Status:  http.StatusNotImplemented,
	}
}

// Common errors shared by several services.
var (
	ErrBodyTooLarge = &Error{Code: "RequestEntityTooLarge", Message: "request body is larger than the sandbox accepts", Status: http.StatusRequestEntityTooLarge}
)

// Validation returns the generic ValidationException/ValidationError shape
// most JSON and query services use for bad input.
func Validation(code, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, code, format, args...)
}

// AsError converts any error into an *Error; unknown errors become an
// InternalFailure 500 so that a bug in the sandbox shows as a server error
// rather than a silent success.
func AsError(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{Code: "InternalFailure", Message: err.Error(), Status: http.StatusInternalServerError}
}
