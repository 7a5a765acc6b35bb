package ecs

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// taggable loads the tags of the ECS resource with ARN a and returns a
// function that stores new ones.
func taggable(tx *state.Tx, a string) ([]Tag, func([]Tag) error, error) {
	region, res, ok := splitARN(a)
	if !ok {
		return nil, nil, errInvalidParameter("Invalid resource ARN: %s", a)
	}
	notFound := protocol.Errorf(http.StatusBadRequest, "InvalidParameterException", "The specified resource could not be found.")
	kind, rest, _ := strings.Cut(res, "/")
	switch kind {
	case "cluster":
		c, err := getDoc[clusterDoc](tx, nsCluster, clusterKey(region, rest))
		if isNotFound(err) || (err == nil && c.Status != "ACTIVE") {
			return nil, nil, errClusterNotFound()
		}
		if err != nil {
			return nil, nil, err
		}
		return c.Tags, func(t []Tag) error { c.Tags = t; return tx.Put(nsCluster, clusterKey(region, c.Name), c) }, nil
	case "service":
		cluster, name, ok := strings.Cut(rest, "/")
		if !ok {
			cluster, name = "default", rest
		}
		sv, err := getDoc[serviceDoc](tx, nsService, serviceKey(region, cluster, name))
		if isNotFound(err) || (err == nil && sv.Status == "INACTIVE") {
			return nil, nil, errServiceNotFound()
		}
		if err != nil {
			return nil, nil, err
		}
		return sv.Tags, func(t []Tag) error { sv.Tags = t; return tx.Put(nsService, sv.key(), sv) }, nil
	case "task-definition":
		family, revStr, ok := strings.Cut(rest, ":")
		rev, err := strconv.Atoi(revStr)
		if !ok || err != nil {
			return nil, nil, notFound
		}
		td, err := getDoc[taskDefDoc](tx, nsTaskDef, taskDefKey(region, family, rev))
		if isNotFound(err) {
			return nil, nil, notFound
		}
		if err != nil {
			return nil, nil, err
		}
		return td.Tags, func(t []Tag) error { td.Tags = t; return tx.Put(nsTaskDef, taskDefKey(region, family, rev), td) }, nil
	case "task":
		cluster, id, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, nil, notFound
		}
		t, err := getDoc[taskDoc](tx, nsTask, taskKey(region, cluster, id))
		if isNotFound(err) {
			return nil, nil, notFound
		}
		if err != nil {
			return nil, nil, err
		}
		return t.Tags, func(tags []Tag) error { t.Tags = tags; return tx.Put(nsTask, t.key(), t) }, nil
	}
	return nil, nil, errInvalidParameter("The sandbox cannot tag ECS resources of type '%s'.", kind)
}

func (s *Service) tagResource(ctx context.Context, _ *Request, in []byte) (any, error) {
	var req struct {
		ResourceArn string `json:"resourceArn"`
		Tags        []Tag  `json:"tags"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.ResourceArn == "" || len(req.Tags) == 0 {
		return nil, errInvalidParameter("resourceArn and tags must be specified.")
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *state.Tx) error {
		have, save, err := taggable(tx, req.ResourceArn)
		if err != nil {
			return err
		}
		merged, err := mergeTags(have, req.Tags)
		if err != nil {
			return err
		}
		return save(merged)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) untagResource(ctx context.Context, _ *Request, in []byte) (any, error) {
	var req struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.ResourceArn == "" || len(req.TagKeys) == 0 {
		return nil, errInvalidParameter("resourceArn and tagKeys must be specified.")
	}
	err := s.update(ctx, func(tx *state.Tx) error {
		have, save, err := taggable(tx, req.ResourceArn)
		if err != nil {
			return err
		}
		drop := map[string]bool{}
		for _, k := range req.TagKeys {
			drop[k] = true
		}
		var keep []Tag
		for _, t := range have {
			if !drop[t.Key] {
				keep = append(keep, t)
			}
		}
		return save(keep)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) listTagsForResource(ctx context.Context, _ *Request, in []byte) (any, error) {
	var req struct {
		ResourceArn string `json:"resourceArn"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.ResourceArn == "" {
		return nil, errInvalidParameter("resourceArn must be specified.")
	}
	var tags []Tag
	err := s.view(ctx, func(tx *state.Tx) error {
		var err error
		tags, _, err = taggable(tx, req.ResourceArn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"tags": tagsOrEmpty(tags)}, nil
}
