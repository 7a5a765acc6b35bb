package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Role is what a token may do.
type Role string

// The roles. An approver may also read.
const (
	RoleReader   Role = "reader"
	RoleApprover Role = "approver"
)

// can reports whether role r includes need.
func (r Role) can(need Role) bool {
	switch need {
	case RoleReader:
		return r == RoleReader || r == RoleApprover
	case RoleApprover:
		return r == RoleApprover
	}
	return false
}

// MinTokenLength is the shortest token value New accepts.
const MinTokenLength = 16

// Token is an API token: a name (recorded as the approver, shown in logs),
// a role and its secret value. The value is never logged or shown.
type Token struct {
	Name  string
	Role  Role
	Value string
}

// String names the token without its value.
func (t Token) String() string { return fmt.Sprintf("token %s (%s)", t.Name, t.Role) }

// LogValue keeps the value out of structured logs.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", t.Name), slog.String("role", string(t.Role)))
}

// validateTokens reports a token list New cannot use.
func validateTokens(ts []Token) error {
	names := map[string]bool{}
	values := map[string]string{}
	for i, t := range ts {
		if strings.TrimSpace(t.Name) == "" {
			return fmt.Errorf("token %d has no name", i+1)
		}
		if names[t.Name] {
			return fmt.Errorf("token %q is declared twice", t.Name)
		}
		names[t.Name] = true
		if t.Role != RoleReader && t.Role != RoleApprover {
			return fmt.Errorf("token %q: role %q is not one of reader, approver", t.Name, t.Role)
		}
		if len(t.Value) < MinTokenLength {
			return fmt.Errorf("token %q: its value has %d characters; use at least %d (e.g. openssl rand -hex 32)", t.Name, len(t.Value), MinTokenLength)
		}
		if other, ok := values[t.Value]; ok {
			return fmt.Errorf("tokens %q and %q have the same value; give each its own", other, t.Name)
		}
		values[t.Value] = t.Name
	}
	return nil
}

// principal is who a request acts as: a token, or nobody.
type principal struct {
	Name string
	Role Role
}

func (p *principal) can(need Role) bool { return p != nil && p.Role.can(need) }

// tokenSet finds tokens by value in constant time per token, without
// early exit, over SHA-256 digests (so lengths leak nothing).
type tokenSet struct {
	digests [][32]byte
	tokens  []Token
}

func newTokenSet(ts []Token) *tokenSet {
	s := &tokenSet{}
	for _, t := range ts {
		s.digests = append(s.digests, sha256.Sum256([]byte(t.Value)))
		s.tokens = append(s.tokens, Token{Name: t.Name, Role: t.Role})
	}
	return s
}

func (s *tokenSet) find(value string) *principal {
	if value == "" {
		return nil
	}
	d := sha256.Sum256([]byte(value))
	found := -1
	for i := range s.digests {
		if subtle.ConstantTimeCompare(d[:], s.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil
	}
	return &principal{Name: s.tokens[found].Name, Role: s.tokens[found].Role}
}

// errBadAuthorization: the Authorization header is not a bearer token.
var errBadAuthorization = errors.New(`the Authorization header must be "Bearer <token>"`)

// bearer returns the request's bearer token ("" when there is none).
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", nil
	}
	scheme, value, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(value) == "" {
		return "", errBadAuthorization
	}
	return strings.TrimSpace(value), nil
}

// Browser sessions: the login form trades a token for a random session id
// kept in an HttpOnly, SameSite=Strict cookie; the token itself never
// reaches the browser again. Forms that change something carry a CSRF
// token derived from the session id.

const (
	sessionCookie = "vigil_session"
	sessionTTL    = 12 * time.Hour
)

type session struct {
	p       principal
	expires time.Time
}

type sessions struct {
	mu  sync.Mutex
	m   map[string]session
	key [32]byte // CSRF MAC key
	now func() time.Time
}

func newSessions(now func() time.Time) *sessions {
	s := &sessions{m: map[string]session{}, now: now}
	_, _ = rand.Read(s.key[:])
	return s
}

// create starts a session for p and returns its id.
func (s *sessions) create(p principal) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.m {
		if now.After(v.expires) {
			delete(s.m, k)
		}
	}
	s.m[id] = session{p: p, expires: now.Add(sessionTTL)}
	return id
}

func (s *sessions) get(id string) *principal {
	if id == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok {
		return nil
	}
	if s.now().After(v.expires) {
		delete(s.m, id)
		return nil
	}
	p := v.p
	return &p
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// csrf is the form token of a session id ("" without a session: the
// anonymous form token is tied to nothing and checked against nothing but
// the request's origin).
func (s *sessions) csrf(id string) string {
	m := hmac.New(sha256.New, s.key[:])
	m.Write([]byte("csrf\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *sessions) checkCSRF(id, got string) bool {
	return hmac.Equal([]byte(s.csrf(id)), []byte(got))
}

// sameOrigin rejects a state-changing request a browser sent from another
// site: when Origin (or, failing that, Referer) is present, its host must
// be the request's host. Sec-Fetch-Site, when sent, must be same-origin.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	for _, h := range []string{"Origin", "Referer"} {
		v := r.Header.Get(h)
		if v == "" {
			continue
		}
		if v == "null" {
			return false
		}
		rest, ok := strings.CutPrefix(v, "http://")
		if !ok {
			rest, ok = strings.CutPrefix(v, "https://")
		}
		if !ok {
			return false
		}
		host, _, _ := strings.Cut(rest, "/")
		return strings.EqualFold(host, r.Host)
	}
	return true
}
