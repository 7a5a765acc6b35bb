package protocol

import (
	"encoding/xml"
	"net/http"
)

// S3Namespace is the XML namespace of S3 documents.
const S3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// WriteRESTXML writes an XML document (already carrying its XMLName) with
// the given status.
func WriteRESTXML(w http.ResponseWriter, status int, requestID string, doc any) {
	w.Header().Set("X-Amz-Request-Id", requestID)
	writeXML(w, status, requestID, doc)
}

// WriteRESTXMLError writes S3's error document. HEAD responses carry no body,
// so only the status reaches the client, as on AWS.
func WriteRESTXMLError(w http.ResponseWriter, r *http.Request, requestID string, e *Error, resource string) {
	w.Header().Set("X-Amz-Request-Id", requestID)
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	doc := struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		Resource  string   `xml:"Resource,omitempty"`
		RequestID string   `xml:"RequestId"`
	}{Code: e.Code, Message: e.Message, Resource: resource, RequestID: requestID}
	writeXML(w, e.Status, requestID, doc)
}
