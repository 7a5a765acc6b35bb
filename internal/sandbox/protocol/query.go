package protocol

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// ParseForm reads a query-protocol request: the form body of a POST (or the
// URL query of a GET) into url.Values. Bodies larger than max are refused.
func ParseForm(r *http.Request, body []byte) (url.Values, *Error) {
	if r.Method == http.MethodGet {
		return r.URL.Query(), nil
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "MalformedQueryString", "cannot parse form body: %v", err)
	}
	// Query parameters on the URL count too.
	for k, v := range r.URL.Query() {
		if _, ok := vals[k]; !ok {
			vals[k] = v
		}
	}
	return vals, nil
}

// WriteQuery writes a query-protocol result:
//
//	<OpResponse xmlns="ns"><OpResult>…v…</OpResult><ResponseMetadata><RequestId/></ResponseMetadata></OpResponse>
//
// v is marshalled with encoding/xml as the content of OpResult; nil omits
// the result element.
func WriteQuery(w http.ResponseWriter, xmlns, op, requestID string, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: op + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	if err := enc.EncodeToken(start); err != nil {
		WriteQueryError(w, xmlns, requestID, AsError(err))
		return
	}
	if v != nil {
		if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); err != nil {
			WriteQueryError(w, xmlns, requestID, AsError(err))
			return
		}
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	_ = enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	_ = enc.EncodeToken(start.End())
	_ = enc.Flush()
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// WriteQueryError writes the query protocol's error document.
func WriteQueryError(w http.ResponseWriter, xmlns, requestID string, e *Error) {
	type errBody struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	doc := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr,omitempty"`
		Error     errBody  `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}{Xmlns: xmlns, Error: errBody{Type: typeOf(e), Code: e.Code, Message: e.Message}, RequestID: requestID}
	writeXML(w, e.Status, requestID, doc)
}

func typeOf(e *Error) string {
	if e.Sender() {
		return "Sender"
	}
	return "Receiver"
}

func writeXML(w http.ResponseWriter, status int, requestID string, doc any) {
	out, err := xml.Marshal(doc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

// QueryList returns the members of a flattened query list such as
// Tags.member.1.Key / Tags.member.1.Value, as one url.Values per index with
// the prefix stripped ("Key", "Value"). Scalar lists (Foo.member.1=x) come
// back with the value under the empty key "". Indexes are returned in
// numeric order.
func QueryList(form url.Values, prefix string) []url.Values {
	p := prefix + "."
	byIndex := map[int]url.Values{}
	for k, vs := range form {
		if !strings.HasPrefix(k, p) {
			continue
		}
		rest := k[len(p):]
		idxStr, sub, _ := strings.Cut(rest, ".")
		idx, err := strconv.Atoi(idxStr)
		if err != nil || idx < 1 {
			continue
		}
		m := byIndex[idx]
		if m == nil {
			m = url.Values{}
			byIndex[idx] = m
		}
		m[sub] = vs
	}
	idx := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]url.Values, 0, len(idx))
	for _, i := range idx {
		out = append(out, byIndex[i])
	}
	return out
}

// QueryStrings returns a flattened list of scalars (Prefix.1, Prefix.2 … or
// Prefix.member.1 …) in index order.
func QueryStrings(form url.Values, prefix string) []string {
	var out []string
	for _, m := range QueryList(form, prefix) {
		out = append(out, m.Get(""))
	}
	return out
}
