package protocol

import (
	"bytes"
	"encoding/xml"
	"net/http"
)

// EC2Namespace is the XML namespace of EC2 query responses.
const EC2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// WriteEC2 writes an EC2-query result: <OpResponse xmlns><requestId/>…v's
// fields…</OpResponse>. v must marshal its fields as children (use a struct
// whose XMLName is ignored; fields are emitted inside the response element).
func WriteEC2(w http.ResponseWriter, op, requestID string, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: op + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: EC2Namespace}}}
	_ = enc.EncodeToken(start)
	_ = enc.EncodeElement(requestID, xml.StartElement{Name: xml.Name{Local: "requestId"}})
	if v != nil {
		// Encode v's children by marshalling it under a throwaway element
		// and copying the inner tokens.
		inner, err := xml.Marshal(v)
		if err != nil {
			WriteEC2Error(w, requestID, AsError(err))
			return
		}
		if err := copyInner(enc, inner); err != nil {
			WriteEC2Error(w, requestID, AsError(err))
			return
		}
	}
	_ = enc.EncodeToken(start.End())
	_ = enc.Flush()
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// copyInner writes every token of doc except its outermost element.
func copyInner(enc *xml.Encoder, doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				continue
			}
			t.Name.Space = ""
			tok = t
		case xml.EndElement:
			depth--
			if depth == 0 {
				continue
			}
			t.Name.Space = ""
			tok = t
		}
		if depth >= 1 {
			if err := enc.EncodeToken(xml.CopyToken(tok)); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteEC2Error writes EC2's error document.
func WriteEC2Error(w http.ResponseWriter, requestID string, e *Error) {
	type errBody struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	doc := struct {
		XMLName   xml.Name  `xml:"Response"`
		Errors    []errBody `xml:"Errors>Error"`
		RequestID string    `xml:"RequestID"`
	}{Errors: []errBody{{Code: e.Code, Message: e.Message}}, RequestID: requestID}
	writeXML(w, e.Status, requestID, doc)
}
