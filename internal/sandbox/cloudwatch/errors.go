package cloudwatch

import (
	"fmt"
	"net/http"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
)

// Error codes, as the query protocol names them (protocol.Error.Code).
// Over rpc-v2-cbor the same code travels in X-Amzn-Query-Error and the body
// names the error shape (shapeOf), so aws-sdk-go-v2 raises the same typed
// error with the same ErrorCode() either way.
const (
	codeResourceNotFound            = "ResourceNotFound"          // types.ResourceNotFound
	codeResourceNotFoundException   = "ResourceNotFoundException" // types.ResourceNotFoundException (tags)
	codeInvalidParameterValue       = "InvalidParameterValue"     // types.InvalidParameterValueException
	codeInvalidParameterCombination = "InvalidParameterCombination"
	codeMissingParameter            = "MissingParameter"
	codeInvalidNextToken            = "InvalidNextToken"
	codeInvalidFormat               = "InvalidFormat"
	codeLimitExceeded               = "LimitExceeded"
	codeValidationError             = "ValidationError"
)

// shapeOf maps a query error code to the rpc-v2-cbor error shape id.
var shapeOf = map[string]string{
	codeResourceNotFound:            "com.amazonaws.cloudwatch#ResourceNotFound",
	codeResourceNotFoundException:   "com.amazonaws.cloudwatch#ResourceNotFoundException",
	codeInvalidParameterValue:       "com.amazonaws.cloudwatch#InvalidParameterValueException",
	codeInvalidParameterCombination: "com.amazonaws.cloudwatch#InvalidParameterCombinationException",
	codeMissingParameter:            "com.amazonaws.cloudwatch#MissingRequiredParameterException",
	codeInvalidNextToken:            "com.amazonaws.cloudwatch#InvalidNextToken",
	codeInvalidFormat:               "com.amazonaws.cloudwatch#InvalidFormatFault",
	codeLimitExceeded:               "com.amazonaws.cloudwatch#LimitExceededFault",
	codeValidationError:             "com.amazonaws.cloudwatch#ValidationException",
	"InternalServiceError":          "com.amazonaws.cloudwatch#InternalServiceFault",
}

func errInvalid(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeInvalidParameterValue, format, args...)
}

func errCombination(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeInvalidParameterCombination, format, args...)
}

func errMissing(param string) error {
	return protocol.Errorf(http.StatusBadRequest, codeMissingParameter,
		"The parameter %s is required.", param)
}

func errValidation(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeValidationError, format, args...)
}

func errAlarmNotFound(name string) error {
	return protocol.Errorf(http.StatusNotFound, codeResourceNotFound, "Alarm %s not found", name)
}

func errBadToken(token string) error {
	return protocol.Errorf(http.StatusBadRequest, codeInvalidNextToken, "The value %q for parameter NextToken is invalid.", token)
}

func errLimit(format string, args ...any) error {
	return protocol.Errorf(http.StatusBadRequest, codeLimitExceeded, format, args...)
}

func quoted(s string) string { return fmt.Sprintf("%q", s) }

func protocol400(code, msg string) error {
	return protocol.Errorf(http.StatusBadRequest, code, "%s", msg)
}
