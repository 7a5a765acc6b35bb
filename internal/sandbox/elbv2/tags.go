package elbv2

import (
	"context"
	"net/url"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// tagged loads the tags of the resource with ARN a and returns a function
// that stores new tags on it.
func tagged(tx *state.Tx, a string) ([]tag, func([]tag) error, error) {
	p, ok := parseARN(a)
	if !ok {
		return nil, nil, errValidation("'%s' is not a valid Elastic Load Balancing ARN", a)
	}
	switch p.Kind {
	case "loadbalancer":
		lb, err := lbByARN(tx, a)
		if err != nil {
			return nil, nil, err
		}
		return lb.Tags, func(t []tag) error { lb.Tags = t; return tx.Put(nsLB, lbKey(lb), lb) }, nil
	case "targetgroup":
		tg, err := tgByARN(tx, a)
		if err != nil {
			return nil, nil, err
		}
		return tg.Tags, func(t []tag) error { tg.Tags = t; return tx.Put(nsTG, tgKey(tg), tg) }, nil
	case "listener":
		l, err := listenerByARN(tx, a)
		if err != nil {
			return nil, nil, err
		}
		return l.Tags, func(t []tag) error { l.Tags = t; return tx.Put(nsListener, l.key(), l) }, nil
	case "listener-rule":
		r, _, err := ruleByARN(tx, a)
		if err != nil {
			return nil, nil, err
		}
		if r == nil {
			return nil, nil, errOperationNotPermitted("Default rules cannot be tagged")
		}
		return r.Tags, func(t []tag) error { r.Tags = t; return tx.Put(nsRule, r.key(), r) }, nil
	}
	return nil, nil, errValidation("'%s' is not a valid Elastic Load Balancing ARN", a)
}

func (s *Service) addTags(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arns := list(form, "ResourceArns")
	if len(arns) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'resourceArns' failed to satisfy constraint: Member must not be null")
	}
	add, err := parseTags(form)
	if err != nil {
		return nil, err
	}
	if len(add) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	err = s.update(ctx, func(tx *state.Tx) error {
		for _, a := range arns {
			have, save, err := tagged(tx, a)
			if err != nil {
				return err
			}
			merged, err := mergeTags(have, add)
			if err != nil {
				return err
			}
			if err := save(merged); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) removeTags(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arns := list(form, "ResourceArns")
	keys := list(form, "TagKeys")
	if len(arns) == 0 || len(keys) == 0 {
		return nil, errValidation("Resource ARNs and tag keys must be specified")
	}
	err := s.update(ctx, func(tx *state.Tx) error {
		for _, a := range arns {
			have, save, err := tagged(tx, a)
			if err != nil {
				return err
			}
			if err := save(removeTags(have, keys)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type xmlTagDescription struct {
	ResourceArn string       `xml:"ResourceArn"`
	Tags        xmlList[tag] `xml:"Tags"`
}

func (s *Service) describeTags(ctx context.Context, _ *Request, form url.Values) (any, error) {
	arns := list(form, "ResourceArns")
	if len(arns) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'resourceArns' failed to satisfy constraint: Member must not be null")
	}
	if len(arns) > 20 {
		return nil, errValidation("At most 20 resource ARNs can be specified")
	}
	out := xmlList[xmlTagDescription]{}
	err := s.view(ctx, func(tx *state.Tx) error {
		for _, a := range arns {
			have, _, err := tagged(tx, a)
			if err != nil {
				return err
			}
			d := xmlTagDescription{ResourceArn: a, Tags: xmlList[tag]{}}
			d.Tags = append(d.Tags, have...)
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct {
		TagDescriptions xmlList[xmlTagDescription] `xml:"TagDescriptions"`
	}{out}, nil
}
