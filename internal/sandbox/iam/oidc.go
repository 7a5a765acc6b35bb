package iam

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Quotas of OpenID Connect providers.
const (
	maxOIDCClientIDs   = 100
	maxOIDCThumbprints = 5
)

// oidcDoc is an OpenID Connect provider as stored in nsOIDC, keyed by its
// URL without the scheme (which is also its ARN's resource suffix).
type oidcDoc struct {
	URL         string    `json:"url"` // without https://
	ClientIDs   []string  `json:"client_ids,omitempty"`
	Thumbprints []string  `json:"thumbprints,omitempty"`
	Created     time.Time `json:"created"`
	Tags        []Tag     `json:"tags,omitempty"`
}

func (s *Service) oidcARN(host string) string { return s.arn("oidc-provider/" + host) }

// oidcKey turns a provider URL into its key: no scheme, no trailing slash.
// The host is case-insensitive; the path is kept as given.
func oidcKey(u string) string {
	rest := strings.TrimPrefix(u, "https://")
	host, path, _ := strings.Cut(rest, "/")
	k := strings.ToLower(host)
	if path != "" {
		k += "/" + path
	}
	return strings.TrimSuffix(k, "/")
}

func readClientIDs(form url.Values, member string) ([]string, error) {
	ids := protocol.QueryStrings(form, member+".member")
	if len(ids) > maxOIDCClientIDs {
		return nil, errLimitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxOIDCClientIDs)
	}
	var out []string
	for _, id := range ids {
		if err := checkLen(id, "clientIDList.member", 1, 255); err != nil {
			return nil, err
		}
		out = appendUnique(out, id)
	}
	return out, nil
}

func readThumbprints(form url.Values) ([]string, error) {
	tps := protocol.QueryStrings(form, "ThumbprintList.member")
	if len(tps) > maxOIDCThumbprints {
		return nil, errLimitExceeded("Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: %d", maxOIDCThumbprints)
	}
	var out []string
	for _, tp := range tps {
		if err := checkLen(tp, "thumbprintList.member", 40, 40); err != nil {
			return nil, err
		}
		for _, c := range tp {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return nil, errInvalidInput("Thumbprint %s is not a hex-encoded SHA-1 fingerprint.", tp)
			}
		}
		out = appendUnique(out, tp)
	}
	return out, nil
}

func appendUnique(list []string, v string) []string {
	for _, e := range list {
		if e == v {
			return list
		}
	}
	return append(list, v)
}

type createOIDCResult struct {
	OpenIDConnectProviderArn string    `xml:"OpenIDConnectProviderArn"`
	Tags                     list[Tag] `xml:"Tags,omitempty"`
}

func (s *Service) createOIDCProvider(ctx context.Context, _ *Request, form url.Values) (any, error) {
	raw, err := required(form, "Url")
	if err != nil {
		return nil, err
	}
	if err := checkLen(raw, "Url", 1, 255); err != nil {
		return nil, err
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Host, "@") {
		return nil, errInvalidInput("Invalid URL %s: the URL of an OpenID Connect provider must begin with https:// and name a host, with no query or fragment.", raw)
	}
	clientIDs, err := readClientIDs(form, "ClientIDList")
	if err != nil {
		return nil, err
	}
	thumbprints, err := readThumbprints(form)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(form)
	if err != nil {
		return nil, err
	}
	sortTags(tags)
	k := oidcKey(raw)
	d := &oidcDoc{URL: k, ClientIDs: clientIDs, Thumbprints: thumbprints, Created: s.now(), Tags: tags}
	err = s.update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsOIDC, k); err != nil {
			return err
		} else if ok {
			return errAlreadyExists("Provider with url https://%s already exists.", k)
		}
		return tx.Put(nsOIDC, k, d)
	})
	if err != nil {
		return nil, err
	}
	return createOIDCResult{OpenIDConnectProviderArn: s.oidcARN(k), Tags: optTags(tags)}, nil
}

// oidcByARN resolves a provider ARN to its key.
func (s *Service) oidcByARN(form url.Values) (string, error) {
	arn, err := required(form, "OpenIDConnectProviderArn")
	if err != nil {
		return "", err
	}
	if err := checkLen(arn, "OpenIDConnectProviderArn", 20, 2048); err != nil {
		return "", err
	}
	if !strings.HasPrefix(arn, "arn:") || strings.Count(arn, ":") < 5 {
		return "", errInvalidInput("ARN %s is not valid.", arn)
	}
	prefix := s.oidcARN("")
	if !strings.HasPrefix(arn, prefix) || len(arn) == len(prefix) {
		return "", errNoSuchEntity("OpenIDConnect Provider not found for arn %s", arn)
	}
	return oidcKey(arn[len(prefix):]), nil
}

func getOIDCDoc(tx *state.Tx, k, arn string) (*oidcDoc, error) {
	var d oidcDoc
	if err := tx.Get(nsOIDC, k, &d); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, errNoSuchEntity("OpenIDConnect Provider not found for arn %s", arn)
		}
		return nil, err
	}
	return &d, nil
}

type getOIDCResult struct {
	URL            string       `xml:"Url"`
	ClientIDList   list[string] `xml:"ClientIDList"`
	ThumbprintList list[string] `xml:"ThumbprintList"`
	CreateDate     string       `xml:"CreateDate"`
	Tags           list[Tag]    `xml:"Tags,omitempty"`
}

func (s *Service) getOIDCProvider(ctx context.Context, _ *Request, form url.Values) (any, error) {
	k, err := s.oidcByARN(form)
	if err != nil {
		return nil, err
	}
	var d *oidcDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		d, err = getOIDCDoc(tx, k, form.Get("OpenIDConnectProviderArn"))
		return err
	})
	if err != nil {
		return nil, err
	}
	return getOIDCResult{URL: d.URL, ClientIDList: list[string](d.ClientIDs), ThumbprintList: list[string](d.Thumbprints),
		CreateDate: isoTime(d.Created), Tags: optTags(d.Tags)}, nil
}

type xmlOIDCEntry struct {
	Arn string `xml:"Arn"`
}

type listOIDCResult struct {
	OpenIDConnectProviderList list[xmlOIDCEntry] `xml:"OpenIDConnectProviderList"`
}

func (s *Service) listOIDCProviders(ctx context.Context, _ *Request, _ url.Values) (any, error) {
	var docs []oidcDoc
	err := s.view(ctx, func(tx *state.Tx) error {
		var err error
		docs, err = listAll[oidcDoc](tx, nsOIDC, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	out := listOIDCResult{OpenIDConnectProviderList: list[xmlOIDCEntry]{}}
	for _, d := range docs {
		out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, xmlOIDCEntry{Arn: s.oidcARN(d.URL)})
	}
	return out, nil
}

// modifyOIDC loads a provider, lets fn change it and stores it.
func (s *Service) modifyOIDC(ctx context.Context, form url.Values, fn func(d *oidcDoc) error) error {
	k, err := s.oidcByARN(form)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *state.Tx) error {
		d, err := getOIDCDoc(tx, k, form.Get("OpenIDConnectProviderArn"))
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
		return tx.Put(nsOIDC, k, d)
	})
}

func (s *Service) updateOIDCThumbprint(ctx context.Context, _ *Request, form url.Values) (any, error) {
	if _, present := form["ThumbprintList"]; !present && len(protocol.QueryStrings(form, "ThumbprintList.member")) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'thumbprintList' failed to satisfy constraint: Member must not be null")
	}
	tps, err := readThumbprints(form)
	if err != nil {
		return nil, err
	}
	return nil, s.modifyOIDC(ctx, form, func(d *oidcDoc) error {
		d.Thumbprints = tps
		return nil
	})
}

func readClientID(form url.Values) (string, error) {
	id, err := required(form, "ClientID")
	if err != nil {
		return "", err
	}
	return id, checkLen(id, "ClientID", 1, 255)
}

func (s *Service) addOIDCClientID(ctx context.Context, _ *Request, form url.Values) (any, error) {
	id, err := readClientID(form)
	if err != nil {
		return nil, err
	}
	return nil, s.modifyOIDC(ctx, form, func(d *oidcDoc) error {
		next := appendUnique(d.ClientIDs, id)
		if len(next) > maxOIDCClientIDs {
			return errLimitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxOIDCClientIDs)
		}
		d.ClientIDs = next
		return nil
	})
}

func (s *Service) removeOIDCClientID(ctx context.Context, _ *Request, form url.Values) (any, error) {
	id, err := readClientID(form)
	if err != nil {
		return nil, err
	}
	// Idempotent on AWS: removing an absent client id succeeds.
	return nil, s.modifyOIDC(ctx, form, func(d *oidcDoc) error {
		var keep []string
		for _, c := range d.ClientIDs {
			if c != id {
				keep = append(keep, c)
			}
		}
		d.ClientIDs = keep
		return nil
	})
}

func (s *Service) deleteOIDCProvider(ctx context.Context, _ *Request, form url.Values) (any, error) {
	k, err := s.oidcByARN(form)
	if err != nil {
		return nil, err
	}
	// Idempotent on AWS: deleting a provider that does not exist succeeds.
	return nil, s.update(ctx, func(tx *state.Tx) error { return tx.Delete(nsOIDC, k) })
}

func (s *Service) tagOIDCProvider(ctx context.Context, _ *Request, form url.Values) (any, error) {
	tags, err := readTags(form)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	return nil, s.modifyOIDC(ctx, form, func(d *oidcDoc) error {
		d.Tags, err = mergeTags(d.Tags, tags)
		return err
	})
}

func (s *Service) untagOIDCProvider(ctx context.Context, _ *Request, form url.Values) (any, error) {
	keys, err := readTagKeys(form)
	if err != nil {
		return nil, err
	}
	return nil, s.modifyOIDC(ctx, form, func(d *oidcDoc) error {
		d.Tags = removeTags(d.Tags, keys)
		return nil
	})
}

func (s *Service) listOIDCProviderTags(ctx context.Context, _ *Request, form url.Values) (any, error) {
	k, err := s.oidcByARN(form)
	if err != nil {
		return nil, err
	}
	var d *oidcDoc
	err = s.view(ctx, func(tx *state.Tx) error {
		d, err = getOIDCDoc(tx, k, form.Get("OpenIDConnectProviderArn"))
		return err
	})
	if err != nil {
		return nil, err
	}
	return listTagsPage(d.Tags, form)
}
