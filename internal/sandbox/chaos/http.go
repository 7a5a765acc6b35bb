package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Path is the sandbox control endpoint of the fault API.
const Path = "/_vigil/chaos"

// Resolver checks a fault's targets against the sandbox (the service, load
// balancer or zone exists) and fills what the sandbox decides: the Tasks
// of an unhealthy fault, the ReferenceTasks of a load profile. Its errors
// are the caller's mistakes, answered 400.
type Resolver interface {
	Resolve(ctx context.Context, f *Fault) error
}

// Listed is a fault with its status at the time of the answer.
type Listed struct {
	Fault
	Status string `json:"status"` // scheduled, active, ended
}

// ListResult is the answer of GET /_vigil/chaos.
type ListResult struct {
	Now    time.Time `json:"now"`
	Faults []Listed  `json:"faults"`
}

// ClearResult is the answer of DELETE /_vigil/chaos.
type ClearResult struct {
	Now     time.Time `json:"now"`
	Cleared []Listed  `json:"cleared"`
}

// Handler serves the fault API:
//
//	GET    /_vigil/chaos          list the faults (ended ones for an hour)
//	POST   /_vigil/chaos          add a fault (a Fault as JSON) → 201
//	DELETE /_vigil/chaos?id=ID    end one fault now
//	DELETE /_vigil/chaos          end every fault now
//
// Errors are {"error": "..."} with 400 (bad fault), 404 (unknown id) or
// 405.
type Handler struct {
	Store    *Store
	Resolver Resolver
	Now      func() time.Time // the sandbox's virtual clock
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func listed(fs []Fault, now time.Time) []Listed {
	out := make([]Listed, 0, len(fs))
	for _, f := range fs {
		out = append(out, Listed{Fault: f, Status: f.Status(now)})
	}
	return out
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := h.Now().UTC()
	switch r.Method {
	case http.MethodGet:
		fs, err := h.Store.List(r.Context(), now)
		if err != nil {
			fail(w, http.StatusInternalServerError, "list faults: %v", err)
			return
		}
		writeJSON(w, http.StatusOK, ListResult{Now: now, Faults: listed(fs, now)})
	case http.MethodPost:
		var f Fault
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			fail(w, http.StatusBadRequest, "cannot read the fault: %v (send JSON like {\"kind\":\"unhealthy\",\"cluster\":\"c\",\"service\":\"s\",\"count\":1})", err)
			return
		}
		if dec.More() {
			fail(w, http.StatusBadRequest, "send one fault per request")
			return
		}
		if err := f.Validate(); err != nil {
			fail(w, http.StatusBadRequest, "%v", err)
			return
		}
		if h.Resolver != nil {
			if err := h.Resolver.Resolve(r.Context(), &f); err != nil {
				fail(w, http.StatusBadRequest, "%v", err)
				return
			}
		}
		f.Schedule(now)
		if err := h.Store.Add(r.Context(), &f); err != nil {
			fail(w, http.StatusInternalServerError, "store the fault: %v", err)
			return
		}
		writeJSON(w, http.StatusCreated, Listed{Fault: f, Status: f.Status(now)})
	case http.MethodDelete:
		id := r.URL.Query().Get("id")
		cleared, err := h.Store.Clear(r.Context(), id, now)
		if errors.Is(err, ErrNotFound) {
			fail(w, http.StatusNotFound, "no fault %q (list them with GET %s)", id, Path)
			return
		}
		if err != nil {
			fail(w, http.StatusInternalServerError, "clear faults: %v", err)
			return
		}
		writeJSON(w, http.StatusOK, ClearResult{Now: now, Cleared: listed(cleared, now)})
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		fail(w, http.StatusMethodNotAllowed, "use GET to list faults, POST to add one and DELETE to clear")
	}
}

// Client talks to the fault API of a running sandbox (what `vigil sandbox
// chaos` and `vigil gameday` use).
type Client struct {
	BaseURL string       // the sandbox's URL, e.g. http://127.0.0.1:4566
	HTTP    *http.Client // default http.DefaultClient
}

func (c *Client) do(ctx context.Context, method, query string, body any, want int, out any) error {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := strings.TrimSuffix(c.BaseURL, "/") + Path + query
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox chaos at %s: %w (is the sandbox running? vigil sandbox serve)", c.BaseURL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<22))
	if err != nil {
		return fmt.Errorf("sandbox chaos at %s: %w", c.BaseURL, err)
	}
	if resp.StatusCode != want {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return errors.New("sandbox chaos: " + e.Error)
		}
		return fmt.Errorf("sandbox chaos at %s: HTTP %d (%s)", c.BaseURL, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("sandbox chaos at %s: unexpected answer: %w", c.BaseURL, err)
	}
	return nil
}

// Add injects a fault and returns it as scheduled.
func (c *Client) Add(ctx context.Context, f Fault) (Listed, error) {
	var out Listed
	err := c.do(ctx, http.MethodPost, "", f, http.StatusCreated, &out)
	return out, err
}

// List returns the faults.
func (c *Client) List(ctx context.Context) (ListResult, error) {
	var out ListResult
	err := c.do(ctx, http.MethodGet, "", nil, http.StatusOK, &out)
	return out, err
}

// Clear ends one fault (id) or all of them (id "").
func (c *Client) Clear(ctx context.Context, id string) (ClearResult, error) {
	var out ClearResult
	q := ""
	if id != "" {
		q = "?id=" + url.QueryEscape(id)
	}
	err := c.do(ctx, http.MethodDelete, q, nil, http.StatusOK, &out)
	return out, err
}
