package sandbox

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sort"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
)

// peekForm parses a form body and puts the bytes back for the service.
func peekForm(r *http.Request) (url.Values, error) {
	if r.Body == nil {
		return url.Values{}, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, service.MaxBody+1))
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return url.ParseQuery(string(b))
}

func sortStrings(s []string) []string { sort.Strings(s); return s }
