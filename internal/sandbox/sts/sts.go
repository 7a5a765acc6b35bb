package sts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// XMLNS is the namespace of STS's query-protocol responses.
const XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"

// nsSession holds temporary credentials STS issued, by access key id, so
// that GetCallerIdentity signed with them reports who they belong to.
const nsSession = "sts/session"

// Session is one set of temporary credentials.
type Session struct {
	AccessKeyID string    `json:"access_key_id"`
	Arn         string    `json:"arn"`     // what GetCallerIdentity reports
	UserID      string    `json:"user_id"` // AROA…:session or the user's id
	Expiration  time.Time `json:"expiration"`
	Assumed     bool      `json:"assumed"` // from AssumeRole*, not GetSessionToken
}

// Service is the sandbox's STS.
type Service struct {
	*service.Query
	env service.Env
}

// New builds the STS service.
func New(env service.Env) *Service {
	s := &Service{env: env}
	s.Query = &service.Query{ServiceName: "sts", XMLNS: XMLNS, Logger: env.Logger, Ops: map[string]service.QueryOp{
		"GetCallerIdentity":         s.getCallerIdentity,
		"AssumeRole":                s.assumeRole,
		"AssumeRoleWithWebIdentity": s.assumeRoleWithWebIdentity,
		"GetSessionToken":           s.getSessionToken,
		"GetAccessKeyInfo":          s.getAccessKeyInfo,
	}}
	return s
}

func validation(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

// stableID derives a fixed-looking IAM unique id (AIDA…, AROA…) from a seed.
func stableID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < 17; i++ {
		b.WriteByte(alphabet[int(sum[i])%len(alphabet)])
	}
	return b.String()
}

func randomString(n int, alphabet string) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	for i := range buf {
		buf[i] = alphabet[int(buf[i])%len(alphabet)]
	}
	return string(buf)
}

// identity is the caller behind an access key.
type identity struct {
	Arn, UserID string
	Assumed     bool
}

func (s *Service) caller(ctx context.Context, accessKey string) (identity, error) {
	def := identity{
		Arn:    "arn:aws:iam::" + s.env.AccountID + ":user/sandbox",
		UserID: stableID("AIDA", s.env.AccountID+"/user/sandbox"),
	}
	if accessKey == "" {
		return def, nil
	}
	var sess Session
	err := s.env.State.Get(ctx, nsSession, accessKey, &sess)
	if errors.Is(err, state.ErrNotFound) {
		return def, nil
	}
	if err != nil {
		return identity{}, err
	}
	if !s.env.Now().Before(sess.Expiration) {
		return identity{}, protocol.Errorf(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
	}
	return identity{Arn: sess.Arn, UserID: sess.UserID, Assumed: sess.Assumed}, nil
}

type callerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

func (s *Service) getCallerIdentity(ctx context.Context, r *service.Request, _ url.Values) (any, error) {
	id, err := s.caller(ctx, r.AccessKey)
	if err != nil {
		return nil, err
	}
	return callerIdentityResult{UserID: id.UserID, Account: s.env.AccountID, Arn: id.Arn}, nil
}

type credentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

// issue creates and stores temporary credentials.
func (s *Service) issue(ctx context.Context, sess Session) (credentials, error) {
	sess.AccessKeyID = "ASIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	creds := credentials{
		AccessKeyID:     sess.AccessKeyID,
		SecretAccessKey: randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		SessionToken:    "IQoJb3JpZ2luX2VjE" + randomString(300, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		Expiration:      sess.Expiration.UTC().Format(time.RFC3339),
	}
	if err := s.env.State.Put(ctx, nsSession, sess.AccessKeyID, sess); err != nil {
		return credentials{}, err
	}
	return creds, nil
}

var (
	roleARN     = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/((?:[\x21-\x7e]*/)?)([\w+=,.@-]{1,64})$`)
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	tokenCode   = regexp.MustCompile(`^\d{6}$`)
)

// roleRequest holds what AssumeRole and AssumeRoleWithWebIdentity share.
type roleRequest struct {
	account, roleName, roleArn, session string
	duration                            time.Duration
	packedPolicySize                    int
}

func (s *Service) parseRoleRequest(form url.Values) (roleRequest, error) {
	var rr roleRequest
	rr.roleArn = form.Get("RoleArn")
	if rr.roleArn == "" {
		return rr, validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if len(rr.roleArn) < 20 || len(rr.roleArn) > 2048 {
		return rr, validation("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048", rr.roleArn)
	}
	m := roleARN.FindStringSubmatch(rr.roleArn)
	if m == nil {
		return rr, validation("%s is invalid", rr.roleArn)
	}
	rr.account, rr.roleName = m[1], m[3]
	rr.session = form.Get("RoleSessionName")
	if rr.session == "" {
		return rr, validation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	}
	if !sessionName.MatchString(rr.session) {
		return rr, validation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64", rr.session)
	}
	rr.duration = time.Hour
	if v := form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return rr, validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be an integer", v)
		}
		if n < 900 || n > 43200 {
			return rr, validation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", n)
		}
		rr.duration = time.Duration(n) * time.Second
	}
	if p := form.Get("Policy"); p != "" {
		var doc map[string]any
		if err := json.Unmarshal([]byte(p), &doc); err != nil {
			return rr, protocol.Errorf(http.StatusBadRequest, "MalformedPolicyDocument", "The policy is not in the valid JSON format.")
		}
		rr.packedPolicySize = len(p) * 100 / 2048
	}
	for _, arn := range protocol.QueryList(form, "PolicyArns.member") {
		if !strings.HasPrefix(arn.Get("arn"), "arn:aws:iam::") {
			return rr, validation("PolicyArns contains an invalid ARN: %s", arn.Get("arn"))
		}
		rr.packedPolicySize += 3
	}
	tags := protocol.QueryList(form, "Tags.member")
	if len(tags) > 50 {
		return rr, validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	for _, t := range tags {
		k := t.Get("Key")
		if k == "" || len(k) > 128 || len(t.Get("Value")) > 256 {
			return rr, validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: tag keys must have length between 1 and 128 and values at most 256")
		}
		rr.packedPolicySize += (len(k) + len(t.Get("Value"))) * 100 / 2048
	}
	if rr.packedPolicySize > 100 {
		return rr, protocol.Errorf(http.StatusBadRequest, "PackedPolicyTooLarge", "Packed policy consumes %d%% of allotted space, please use smaller policy for this request.", rr.packedPolicySize)
	}
	return rr, nil
}

// session builds the assumed-role session for rr.
func (s *Service) session(rr roleRequest) (Session, assumedRoleUser) {
	roleID := stableID("AROA", rr.roleArn)
	u := assumedRoleUser{
		AssumedRoleID: roleID + ":" + rr.session,
		Arn:           "arn:aws:sts::" + rr.account + ":assumed-role/" + rr.roleName + "/" + rr.session,
	}
	return Session{Arn: u.Arn, UserID: u.AssumedRoleID, Expiration: s.env.Now().Add(rr.duration), Assumed: true}, u
}

type assumeRoleResult struct {
	Credentials      credentials     `xml:"Credentials"`
	AssumedRoleUser  assumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize int             `xml:"PackedPolicySize"`
	SourceIdentity   string          `xml:"SourceIdentity,omitempty"`
}

func (s *Service) assumeRole(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	id, err := s.caller(ctx, r.AccessKey)
	if err != nil {
		return nil, err
	}
	rr, err := s.parseRoleRequest(form)
	if err != nil {
		return nil, err
	}
	if rr.account != s.env.AccountID {
		return nil, protocol.Errorf(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", id.Arn, rr.roleArn)
	}
	if ext := form.Get("ExternalId"); ext != "" && (len(ext) < 2 || len(ext) > 1224) {
		return nil, validation("1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224")
	}
	if id.Assumed && rr.duration > time.Hour {
		return nil, validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	sess, user := s.session(rr)
	creds, err := s.issue(ctx, sess)
	if err != nil {
		return nil, err
	}
	return assumeRoleResult{Credentials: creds, AssumedRoleUser: user, PackedPolicySize: rr.packedPolicySize, SourceIdentity: form.Get("SourceIdentity")}, nil
}

type webIdentityResult struct {
	Credentials                 credentials     `xml:"Credentials"`
	SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
	AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize            int             `xml:"PackedPolicySize"`
	Provider                    string          `xml:"Provider"`
	Audience                    string          `xml:"Audience"`
	SourceIdentity              string          `xml:"SourceIdentity,omitempty"`
}

// webToken is what the sandbox reads from a web identity token: a JWT whose
// payload it decodes without verifying the signature (there is no real
// identity provider to fetch keys from).
type webToken struct {
	Sub string          `json:"sub"`
	Iss string          `json:"iss"`
	Aud json.RawMessage `json:"aud"`
	Exp *float64        `json:"exp"`
}

func parseWebToken(tok string) (webToken, error) {
	bad := protocol.Errorf(http.StatusBadRequest, "InvalidIdentityToken", "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return webToken{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return webToken{}, bad
	}
	var wt webToken
	if err := json.Unmarshal(raw, &wt); err != nil {
		return webToken{}, bad
	}
	if wt.Sub == "" || wt.Iss == "" {
		return webToken{}, protocol.Errorf(http.StatusBadRequest, "InvalidIdentityToken", "The web identity token is missing the sub or iss claim")
	}
	return wt, nil
}

func (wt webToken) audience() string {
	var one string
	if json.Unmarshal(wt.Aud, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(wt.Aud, &many) == nil && len(many) > 0 {
		return many[0]
	}
	return ""
}

func (s *Service) assumeRoleWithWebIdentity(ctx context.Context, _ *service.Request, form url.Values) (any, error) {
	rr, err := s.parseRoleRequest(form)
	if err != nil {
		return nil, err
	}
	tok := form.Get("WebIdentityToken")
	if tok == "" {
		return nil, validation("1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null")
	}
	if len(tok) < 4 || len(tok) > 20000 {
		return nil, validation("1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000")
	}
	wt, err := parseWebToken(tok)
	if err != nil {
		return nil, err
	}
	now := s.env.Now()
	if wt.Exp != nil && float64(now.Unix()) >= *wt.Exp {
		return nil, protocol.Errorf(http.StatusBadRequest, "ExpiredTokenException", "Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), int64(*wt.Exp))
	}
	if rr.account != s.env.AccountID {
		return nil, protocol.Errorf(http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	sess, user := s.session(rr)
	creds, err := s.issue(ctx, sess)
	if err != nil {
		return nil, err
	}
	provider := form.Get("ProviderId")
	if provider == "" {
		provider = wt.Iss
	}
	return webIdentityResult{Credentials: creds, SubjectFromWebIdentityToken: wt.Sub, AssumedRoleUser: user,
		PackedPolicySize: rr.packedPolicySize, Provider: provider, Audience: wt.audience(), SourceIdentity: form.Get("SourceIdentity")}, nil
}

type sessionTokenResult struct {
	Credentials credentials `xml:"Credentials"`
}

func (s *Service) getSessionToken(ctx context.Context, r *service.Request, form url.Values) (any, error) {
	id, err := s.caller(ctx, r.AccessKey)
	if err != nil {
		return nil, err
	}
	if id.Assumed {
		return nil, protocol.Errorf(http.StatusForbidden, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	}
	d := 12 * time.Hour
	if v := form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 129600 {
			return nil, validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 129600", v)
		}
		d = time.Duration(n) * time.Second
	}
	if sn, tc := form.Get("SerialNumber"), form.Get("TokenCode"); (sn == "") != (tc == "") {
		return nil, validation("SerialNumber and TokenCode must be provided together")
	} else if tc != "" && !tokenCode.MatchString(tc) {
		return nil, validation("1 validation error detected: Value '%s' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*", tc)
	}
	creds, err := s.issue(ctx, Session{Arn: id.Arn, UserID: id.UserID, Expiration: s.env.Now().Add(d)})
	if err != nil {
		return nil, err
	}
	return sessionTokenResult{Credentials: creds}, nil
}

func (s *Service) getAccessKeyInfo(_ context.Context, _ *service.Request, form url.Values) (any, error) {
	k := form.Get("AccessKeyId")
	if len(k) < 16 || len(k) > 128 {
		return nil, validation("1 validation error detected: Value '%s' at 'accessKeyId' failed to satisfy constraint: Member must have length between 16 and 128", k)
	}
	return struct {
		Account string `xml:"Account"`
	}{s.env.AccountID}, nil
}
