package iam

import (
	"errors"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Lookups for other sandbox services (STS AssumeRole, Lambda and ECS
// execution roles, …). They read IAM's state inside the caller's own
// transaction, so a check and the write that depends on it are atomic.
// The sandbox has one account, so the account part of an ARN is not
// compared.

// RoleInfo is what other services may know about a role.
type RoleInfo struct {
	Name               string
	ARN                string
	ID                 string // AROA…
	Path               string
	AssumeRolePolicy   string // the trust policy, as JSON (not URL-encoded)
	MaxSessionDuration int    // seconds
}

// ErrNoSuchRole is returned by RoleByARN for an ARN naming no role.
var ErrNoSuchRole = errors.New("iam: no such role")

// RoleByARN finds a role by its ARN (arn:aws:iam::<account>:role/<path><name>).
func RoleByARN(tx *state.Tx, arn string) (RoleInfo, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return RoleInfo{}, ErrNoSuchRole
	}
	res := parts[5]
	name := res[strings.LastIndexByte(res, '/')+1:]
	var r roleDoc
	if err := tx.Get(nsRole, key(name), &r); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return RoleInfo{}, ErrNoSuchRole
		}
		return RoleInfo{}, err
	}
	if "role"+r.Path+r.Name != res {
		return RoleInfo{}, ErrNoSuchRole
	}
	return RoleInfo{Name: r.Name, ARN: strings.Join(parts[:5], ":") + ":" + res, ID: r.ID, Path: r.Path,
		AssumeRolePolicy: r.AssumeRolePolicy, MaxSessionDuration: r.MaxSessionDuration}, nil
}

// RoleExists reports whether arn names an existing role.
func RoleExists(tx *state.Tx, arn string) (bool, error) {
	_, err := RoleByARN(tx, arn)
	if errors.Is(err, ErrNoSuchRole) {
		return false, nil
	}
	return err == nil, err
}

// OIDCProviderExists reports whether arn
// (arn:aws:iam::<account>:oidc-provider/<host/path>) names an existing
// OpenID Connect provider.
func OIDCProviderExists(tx *state.Tx, arn string) (bool, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "oidc-provider/") {
		return false, nil
	}
	return tx.Exists(nsOIDC, oidcKey(strings.TrimPrefix(parts[5], "oidc-provider/")))
}
