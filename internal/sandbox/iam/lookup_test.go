package iam

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

func TestLookups(t *testing.T) {
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	s := New(service.Env{State: st, AccountID: "123456789012", Region: "us-east-1", Logger: slog.New(slog.DiscardHandler), Now: time.Now})
	ctx := context.Background()
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := s.createRole(ctx, nil, url.Values{"RoleName": {"Fn"}, "Path": {"/app/"}, "AssumeRolePolicyDocument": {trust}, "MaxSessionDuration": {"7200"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.createOIDCProvider(ctx, nil, url.Values{"Url": {"https://token.actions.githubusercontent.com"}}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		arn     string
		want    string // role name; "" means no such role
		wantErr error
	}{
		{"exact", "arn:aws:iam::123456789012:role/app/Fn", "Fn", nil},
		{"arn is case-sensitive", "arn:aws:iam::123456789012:role/app/fn", "", ErrNoSuchRole},
		{"wrong path", "arn:aws:iam::123456789012:role/Fn", "", ErrNoSuchRole},
		{"missing", "arn:aws:iam::123456789012:role/app/Other", "", ErrNoSuchRole},
		{"not a role", "arn:aws:iam::123456789012:user/app/Fn", "", ErrNoSuchRole},
		{"garbage", "Fn", "", ErrNoSuchRole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := st.View(ctx, func(tx *state.Tx) error {
				info, err := RoleByARN(tx, tt.arn)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("RoleByARN(%s) error = %v, want %v", tt.arn, err, tt.wantErr)
				}
				if err == nil && (info.Name != tt.want || info.AssumeRolePolicy != trust || info.MaxSessionDuration != 7200 || info.ARN != tt.arn || info.Path != "/app/") {
					t.Errorf("RoleByARN = %+v", info)
				}
				ok, err := RoleExists(tx, tt.arn)
				if err != nil || ok != (tt.want != "") {
					t.Errorf("RoleExists(%s) = %v, %v", tt.arn, ok, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	err = st.View(ctx, func(tx *state.Tx) error {
		for arn, want := range map[string]bool{
			"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com": true,
			"arn:aws:iam::123456789012:oidc-provider/accounts.google.com":                 false,
			"arn:aws:iam::123456789012:role/x":                                            false,
		} {
			if got, err := OIDCProviderExists(tx, arn); err != nil || got != want {
				t.Errorf("OIDCProviderExists(%s) = %v, %v; want %v", arn, got, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEncodeDocument(t *testing.T) {
	for _, doc := range []string{`{"a": "b c+d/é"}`, "", "~-_.", "100%"} {
		enc := encodeDocument(doc)
		for _, dec := range []func(string) (string, error){url.QueryUnescape, url.PathUnescape} {
			if got, err := dec(enc); err != nil || got != doc {
				t.Errorf("decode(encodeDocument(%q)) = %q, %v", doc, got, err)
			}
		}
	}
	if got := encodeDocument(`{"A": 1}`); got != "%7B%22A%22%3A%201%7D" {
		t.Errorf("encodeDocument = %s", got)
	}
}
