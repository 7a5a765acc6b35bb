package ecs

import (
	"context"
	"sort"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Account settings. The sandbox has one principal (the account root), so a
// setting for the account and its default are the same record.

type accountSettingDoc struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// accountDefaults are the settings of a new account and the values each
// setting accepts.
var accountDefaults = map[string]struct {
	value   string
	allowed []string
}{
	"serviceLongArnFormat":            {"enabled", []string{"enabled", "disabled"}},
	"taskLongArnFormat":               {"enabled", []string{"enabled", "disabled"}},
	"containerInstanceLongArnFormat":  {"enabled", []string{"enabled", "disabled"}},
	"awsvpcTrunking":                  {"disabled", []string{"enabled", "disabled"}},
	"containerInsights":               {"disabled", []string{"enabled", "disabled", "enhanced"}},
	"dualStackIPv6":                   {"disabled", []string{"enabled", "disabled"}},
	"fargateFIPSMode":                 {"disabled", []string{"enabled", "disabled"}},
	"tagResourceAuthorization":        {"on", []string{"on", "off"}},
	"fargateTaskRetirementWaitPeriod": {"7", []string{"0", "7", "14"}},
	"guardDutyActivate":               {"off", []string{"on", "off"}},
	"defaultLogDriverMode":            {"non-blocking", []string{"blocking", "non-blocking"}},
}

type settingOut struct {
	Name         string `json:"name"`
	Value        string `json:"value"`
	PrincipalArn string `json:"principalArn"`
	Type         string `json:"type"`
}

func (s *Service) rootARN() string { return "arn:aws:iam::" + s.env.AccountID + ":root" }

func checkSetting(name, value string) error {
	d, ok := accountDefaults[name]
	if !ok {
		return errInvalidParameter("Invalid account setting name '%s'.", name)
	}
	for _, a := range d.allowed {
		if a == value {
			return nil
		}
	}
	return errInvalidParameter("Invalid value '%s' for account setting '%s'.", value, name)
}

// accountSetting returns the effective value of an account setting.
func accountSetting(tx *state.Tx, region, name string) (string, bool, error) {
	doc, err := getDoc[accountSettingDoc](tx, nsSettings, region+"/"+name)
	if isNotFound(err) {
		return accountDefaults[name].value, false, nil
	}
	if err != nil {
		return "", false, err
	}
	return doc.Value, true, nil
}

func (s *Service) putSetting(ctx context.Context, r *Request, name, value string) (any, error) {
	if err := checkSetting(name, value); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	err := s.update(ctx, func(tx *state.Tx) error {
		return tx.Put(nsSettings, region+"/"+name, accountSettingDoc{Name: name, Value: value})
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"setting": settingOut{Name: name, Value: value, PrincipalArn: s.rootARN(), Type: "user"}}, nil
}

func (s *Service) putAccountSetting(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Name         string `json:"name"`
		Value        string `json:"value"`
		PrincipalArn string `json:"principalArn"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.PrincipalArn != "" && req.PrincipalArn != s.rootARN() {
		return nil, errInvalidParameter("The sandbox keeps account settings for the account root only.")
	}
	return s.putSetting(ctx, r, req.Name, req.Value)
}

func (s *Service) putAccountSettingDefault(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	return s.putSetting(ctx, r, req.Name, req.Value)
}

func (s *Service) deleteAccountSetting(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, ok := accountDefaults[req.Name]; !ok {
		return nil, errInvalidParameter("Invalid account setting name '%s'.", req.Name)
	}
	region := s.env.RegionOf(r)
	var value string
	err := s.update(ctx, func(tx *state.Tx) error {
		v, _, err := accountSetting(tx, region, req.Name)
		if err != nil {
			return err
		}
		value = v
		return tx.Delete(nsSettings, region+"/"+req.Name)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"setting": settingOut{Name: req.Name, Value: value, PrincipalArn: s.rootARN(), Type: "user"}}, nil
}

func (s *Service) listAccountSettings(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		Name              string `json:"name"`
		Value             string `json:"value"`
		PrincipalArn      string `json:"principalArn"`
		EffectiveSettings bool   `json:"effectiveSettings"`
		NextToken         string `json:"nextToken"`
		MaxResults        int    `json:"maxResults"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.Value != "" && req.Name == "" {
		return nil, errInvalidParameter("value can be specified only with name.")
	}
	if req.Name != "" {
		if _, ok := accountDefaults[req.Name]; !ok {
			return nil, errInvalidParameter("Invalid account setting name '%s'.", req.Name)
		}
	}
	region := s.env.RegionOf(r)
	var out []settingOut
	err := s.view(ctx, func(tx *state.Tx) error {
		for name := range accountDefaults {
			if req.Name != "" && name != req.Name {
				continue
			}
			v, set, err := accountSetting(tx, region, name)
			if err != nil {
				return err
			}
			if !set && !req.EffectiveSettings {
				continue
			}
			if req.Value != "" && v != req.Value {
				continue
			}
			typ := "user"
			if !set {
				typ = "aws_managed"
			}
			out = append(out, settingOut{Name: name, Value: v, PrincipalArn: s.rootARN(), Type: typ})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	pg, next, err := pageOf(out, func(st settingOut) string { return st.Name }, req.NextToken, req.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	res := map[string]any{"settings": append([]settingOut{}, pg...)}
	if next != "" {
		res["nextToken"] = next
	}
	return res, nil
}
