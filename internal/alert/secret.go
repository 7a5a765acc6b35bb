package alert

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Masked replaces a secret wherever vigil shows or sends text.
const Masked = "<redacted>"

// Secret is a configured secret value (a webhook URL, a routing key, an
// HMAC key). It formats as Masked with %v, %s, %#v and in JSON, so it is
// not logged by accident; string(s) is the value.
type Secret string

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Masked
}

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return s.String() }

// MarshalText keeps the value out of JSON, YAML and text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// SecretRef says where a secret comes from: the value itself, a file
// (trailing newline trimmed) or an environment variable. Exactly one may be
// set.
type SecretRef struct {
	Value Secret
	File  string
	Env   string
}

// IsSet reports whether any source is set.
func (r SecretRef) IsSet() bool { return r.Value != "" || r.File != "" || r.Env != "" }

// validate checks that at most one source is set, and that one is when
// required. field is the configuration name ("url") for messages.
func (r SecretRef) validate(field string, required bool) error {
	n := 0
	for _, set := range []bool{r.Value != "", r.File != "", r.Env != ""} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return fmt.Errorf("set only one of %s, %s_file and %s_env", field, field, field)
	case n == 0 && required:
		return fmt.Errorf("%s is required (or %s_file, %s_env)", field, field, field)
	}
	return nil
}

// Env looks up environment variables; os.LookupEnv is the real one.
type Env func(name string) (string, bool)

// resolve reads the secret. Errors name the file or variable, never the
// value.
func (r SecretRef) resolve(field string, env Env) (string, error) {
	switch {
	case r.Value != "":
		return string(r.Value), nil
	case r.File != "":
		b, err := os.ReadFile(r.File)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("%s_file %s: %w", field, r.File, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("%s_file %s is empty", field, r.File)
		}
		return v, nil
	case r.Env != "":
		if env == nil {
			env = os.LookupEnv
		}
		v, ok := env(r.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("%s_env: environment variable %s is not set", field, r.Env)
		}
		return v, nil
	}
	return "", nil
}

// redactor replaces known secret values (and URL secrets in their parts)
// in text such as error messages and response bodies.
type redactor struct{ secrets []string }

// add registers a secret; for a URL it also registers its path, query and
// user info, which error messages may quote apart from the whole.
func (r *redactor) add(s string) {
	if len(s) < 4 {
		// Too short to redact without mangling text; config validation
		// rejects such secrets where it matters.
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
		return
	}
	r.secrets = append(r.secrets, s)
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		if p := u.EscapedPath(); len(p) > 1 {
			r.secrets = append(r.secrets, p, strings.TrimPrefix(p, "/"))
		}
		if u.RawQuery != "" {
			r.secrets = append(r.secrets, u.RawQuery)
		}
		if pw, ok := u.User.Password(); ok && pw != "" {
			r.secrets = append(r.secrets, pw)
		}
	}
}

func (r *redactor) redact(s string) string {
	for _, sec := range r.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, Masked)
		}
	}
	return s
}

// RedactURL shows a URL's scheme and host only: "https://hooks.slack.com/<redacted>".
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Masked
	}
	return u.Scheme + "://" + u.Host + "/" + Masked
}

// Secret-looking text, masked by Scrub. Compiled once; read-only.
var (
	secretPatterns = []*regexp.Regexp{
		// PEM private keys.
		regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`),
		// AWS access key ids.
		regexp.MustCompile(`\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b`),
		// Slack tokens and webhook URLs.
		regexp.MustCompile(`\bxox[abposre]-[A-Za-z0-9-]{10,}`),
		regexp.MustCompile(`https://hooks\.slack\.com/[A-Za-z0-9/_-]+`),
		// GitHub tokens.
		regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b`),
		// JWTs.
		regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`),
		// Stripe-like and generic "sk_live_…" keys.
		regexp.MustCompile(`\b[sr]k_(live|test)_[A-Za-z0-9]{16,}\b`),
	}
	// bearer/basic credentials in text.
	authRe = regexp.MustCompile(`(?i)\b(bearer|basic|token)\s+[A-Za-z0-9\-._~+/]{8,}=*`)
	// user:password@ in URLs.
	userinfoRe = regexp.MustCompile(`(://[^/\s:@]+:)[^/\s@]+@`)
	// key = value / "key": "value" where the key names a secret.
	assignRe = regexp.MustCompile(`(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?token|routing[_-]?key|signature)[A-Za-z0-9_-]*"?\s*[:=]\s*"?)([^"\s,;&}]+)`)
	// 40-character AWS secret-access-key shapes (not hex: git SHAs stay).
	awsSecretRe = regexp.MustCompile(`(^|[^A-Za-z0-9/+=])([A-Za-z0-9/+=]{40})($|[^A-Za-z0-9/+=])`)
	hexRe       = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	// Detail keys whose whole value is secret.
	secretKeyRe = regexp.MustCompile(`(?i)(password|passwd|secret|token|api[_-]?key|private[_-]?key|credential|authorization|auth[_-]?token|routing[_-]?key)`)
)

// ScrubText masks whatever in s looks like a secret: private keys, AWS
// access keys and secret keys, Slack/GitHub tokens, JWTs, bearer
// credentials, URL passwords and "password=…"-style assignments.
func ScrubText(s string) string {
	if s == "" {
		return s
	}
	for _, re := range secretPatterns {
		s = re.ReplaceAllString(s, Masked)
	}
	s = authRe.ReplaceAllStringFunc(s, func(m string) string {
		word, _, _ := strings.Cut(m, " ")
		if word == m {
			return Masked
		}
		return word + " " + Masked
	})
	s = userinfoRe.ReplaceAllString(s, "${1}"+Masked+"@")
	s = assignRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := assignRe.FindStringSubmatch(m)
		if sub[2] == Masked || strings.HasPrefix(sub[2], "<") {
			return m
		}
		return sub[1] + Masked
	})
	s = awsSecretRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := awsSecretRe.FindStringSubmatch(m)
		v := sub[2]
		if hexRe.MatchString(v) || !looksRandom(v) {
			return m
		}
		return sub[1] + Masked + sub[3]
	})
	return s
}

// looksRandom: mixed case and digits, as AWS secret keys are.
func looksRandom(s string) bool {
	var up, low, dig bool
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			up = true
		case c >= 'a' && c <= 'z':
			low = true
		case c >= '0' && c <= '9':
			dig = true
		}
	}
	return up && low && dig
}

// Scrub is the last secret pass over an alert: ScrubText on every text
// field, and a detail or label whose key names a secret ("password",
// "token", "private_key" …) has its whole value masked. It returns a copy.
func Scrub(a Alert) Alert {
	a.Summary = ScrubText(a.Summary)
	a.FirstStep = ScrubText(a.FirstStep)
	a.Resource = ScrubText(a.Resource)
	a.RunbookURL = scrubURL(a.RunbookURL)
	a.URL = scrubURL(a.URL)
	if a.Details != nil {
		ds := make([]Detail, len(a.Details))
		for i, d := range a.Details {
			ds[i] = Detail{Key: ScrubText(d.Key), Value: scrubValue(d.Key, d.Value)}
		}
		a.Details = ds
	}
	if a.Labels != nil {
		ls := make(map[string]string, len(a.Labels))
		for k, v := range a.Labels {
			ls[k] = scrubValue(k, v)
		}
		a.Labels = ls
	}
	return a
}

func scrubValue(key, v string) string {
	if secretKeyRe.MatchString(key) && v != "" && v != Masked && !strings.HasPrefix(v, "(sensitive") {
		return Masked
	}
	return ScrubText(v)
}

// scrubURL masks URL passwords and secret-named query parameters.
func scrubURL(raw string) string {
	if raw == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ScrubText(raw)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	q := u.Query()
	changed := false
	for k := range q {
		if secretKeyRe.MatchString(k) || strings.EqualFold(k, "sig") || strings.EqualFold(k, "X-Amz-Signature") {
			q.Set(k, "redacted")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return ScrubText(u.String())
}
