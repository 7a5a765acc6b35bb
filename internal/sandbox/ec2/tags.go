package ec2

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// nsTags holds the tags of every taggable resource at "<region>/<id>":
// one place for CreateTags/DeleteTags/DescribeTags whatever the kind.
const nsTags = "ec2/tags"

type tagXML struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// set is EC2's list shape: <name><item>…</item>…</name>.
type set[T any] struct {
	Items []T `xml:"item"`
}

func loadTags(tx *state.Tx, region, id string) (map[string]string, error) {
	tags := map[string]string{}
	err := tx.Get(nsTags, key(region, id), &tags)
	if errors.Is(err, state.ErrNotFound) {
		return map[string]string{}, nil
	}
	return tags, err
}

func saveTags(tx *state.Tx, region, id string, tags map[string]string) error {
	if len(tags) == 0 {
		return tx.Delete(nsTags, key(region, id))
	}
	return tx.Put(nsTags, key(region, id), tags)
}

// tagSet renders tags as <tagSet>, or nothing when there are none.
func tagSet(tags map[string]string) *set[tagXML] {
	if len(tags) == 0 {
		return nil
	}
	out := &set[tagXML]{}
	for _, k := range sortedKeys(tags) {
		out.Items = append(out.Items, tagXML{Key: k, Value: tags[k]})
	}
	return out
}

// requireExists checks that id names an existing taggable resource.
func requireExists(tx *state.Tx, region, id string) (kind, error) {
	k, ok := kindOf(id)
	if !ok {
		return kind{}, errf("InvalidID", "The ID '%s' is not valid", id)
	}
	found, err := tx.Exists(k.ns, key(region, id))
	if err != nil {
		return kind{}, err
	}
	if !found {
		return kind{}, k.errNotFound(id)
	}
	return k, nil
}

func (s *Service) createTags(ctx context.Context, region string, p params) (any, error) {
	ids := p.strs("ResourceId")
	if len(ids) == 0 {
		return nil, errMissing("ResourceId")
	}
	add := map[string]string{}
	for _, t := range p.list("Tag") {
		if err := putTag(add, t.Get("Key"), t.Get("Value")); err != nil {
			return nil, err
		}
	}
	if len(add) == 0 {
		return nil, errMissing("Tag")
	}
	err := s.update(ctx, func(tx *state.Tx) error {
		for _, id := range ids {
			if _, err := requireExists(tx, region, id); err != nil {
				return err
			}
			tags, err := loadTags(tx, region, id)
			if err != nil {
				return err
			}
			for k, v := range add {
				tags[k] = v
			}
			if len(tags) > maxTags {
				return errTagLimit()
			}
			if err := saveTags(tx, region, id, tags); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

func (s *Service) deleteTags(ctx context.Context, region string, p params) (any, error) {
	ids := p.strs("ResourceId")
	if len(ids) == 0 {
		return nil, errMissing("ResourceId")
	}
	type rm struct {
		key      string
		value    string
		hasValue bool
	}
	var rms []rm
	for _, t := range p.list("Tag") {
		k := t.Get("Key")
		if k == "" {
			return nil, errInvalidParam("Tag key cannot be empty")
		}
		_, hasValue := t.Values["Value"]
		rms = append(rms, rm{key: k, value: t.Get("Value"), hasValue: hasValue})
	}
	err := s.update(ctx, func(tx *state.Tx) error {
		for _, id := range ids {
			if _, err := requireExists(tx, region, id); err != nil {
				return err
			}
			tags, err := loadTags(tx, region, id)
			if err != nil {
				return err
			}
			if len(rms) == 0 {
				// No Tag given: EC2 deletes every tag of the resource.
				tags = map[string]string{}
			}
			for _, r := range rms {
				if v, ok := tags[r.key]; ok && (!r.hasValue || v == r.value) {
					delete(tags, r.key)
				}
			}
			if err := saveTags(tx, region, id, tags); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok(), nil
}

type tagDescriptionXML struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

type describeTagsOut struct {
	Tags      set[tagDescriptionXML] `xml:"tagSet"`
	NextToken string                 `xml:"nextToken,omitempty"`
}

func (s *Service) describeTags(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, "key", "value", "resource-id", "resource-type"); err != nil {
		return nil, err
	}
	var items []tagDescriptionXML
	err = s.view(ctx, func(tx *state.Tx) error {
		entries, err := tx.List(state.ListParams{NS: nsTags, Prefix: region + "/"})
		if err != nil {
			return err
		}
		for _, e := range entries {
			id := strings.TrimPrefix(e.Key, region+"/")
			k, ok := kindOf(id)
			if !ok {
				continue
			}
			if k.prefix == kNAT.prefix {
				// A deleted NAT gateway's tags go when it stops showing.
				n, ok, err := get[natDoc](tx, kNAT, region, id)
				if err != nil {
					return err
				}
				if !ok || !s.natVisible(n) {
					continue
				}
			}
			tags, err := loadTags(tx, region, id)
			if err != nil {
				return err
			}
			for _, tk := range sortedKeys(tags) {
				f := fields{}
				f.set("key", tk)
				f["value"] = []string{tags[tk]}
				f.set("resource-id", id)
				f.set("resource-type", k.tagType)
				f.tags(tags)
				if f.matches(fs) {
					items = append(items, tagDescriptionXML{ResourceID: id, ResourceType: k.tagType, Key: tk, Value: tags[tk]})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].ResourceID != items[j].ResourceID {
			return items[i].ResourceID < items[j].ResourceID
		}
		return items[i].Key < items[j].Key
	})
	pg, next, err := page(p, items, func(t tagDescriptionXML) string { return t.ResourceID + "\x00" + t.Key }, 5, 1000)
	if err != nil {
		return nil, err
	}
	return describeTagsOut{Tags: set[tagDescriptionXML]{Items: pg}, NextToken: next}, nil
}
