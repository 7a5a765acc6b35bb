package cloudwatch

import (
	"context"
	"net/http"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Tags: the sandbox tags alarms (the only taggable CloudWatch resource it
// serves). Other ARNs answer ResourceNotFoundException.

// TagResourceInput is the input of TagResource.
type TagResourceInput struct {
	ResourceARN *string
	Tags        []Tag
}

// UntagResourceInput is the input of UntagResource.
type UntagResourceInput struct {
	ResourceARN *string
	TagKeys     []string
}

// ListTagsForResourceInput is the input of ListTagsForResource.
type ListTagsForResourceInput struct {
	ResourceARN *string
}

// ListTagsForResourceOutput is the output of ListTagsForResource.
type ListTagsForResourceOutput struct {
	Tags []Tag `xml:"Tags>member"`
}

func (s *Service) tagResource(ctx context.Context, r *service.Request, in *TagResourceInput) (*empty, error) {
	if in.Tags == nil {
		return nil, errMissing("Tags")
	}
	for _, t := range in.Tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 || strings.HasPrefix(t.Key, "aws:") {
			return nil, errInvalid("The tag %q is invalid: keys are 1 to 128 characters and may not start with aws:, values at most 256 characters.", t.Key)
		}
	}
	return &empty{}, s.updateTags(ctx, r, deref(in.ResourceARN), func(tags []Tag) ([]Tag, error) {
		for _, t := range in.Tags {
			replaced := false
			for i := range tags {
				if tags[i].Key == t.Key {
					tags[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				tags = append(tags, t)
			}
		}
		if len(tags) > 50 {
			return nil, errLimit("A resource can have at most 50 tags.")
		}
		return tags, nil
	})
}

func (s *Service) untagResource(ctx context.Context, r *service.Request, in *UntagResourceInput) (*empty, error) {
	if in.TagKeys == nil {
		return nil, errMissing("TagKeys")
	}
	drop := set(in.TagKeys...)
	return &empty{}, s.updateTags(ctx, r, deref(in.ResourceARN), func(tags []Tag) ([]Tag, error) {
		kept := tags[:0]
		for _, t := range tags {
			if !drop[t.Key] {
				kept = append(kept, t)
			}
		}
		return kept, nil
	})
}

func (s *Service) listTagsForResource(ctx context.Context, r *service.Request, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	out := &ListTagsForResourceOutput{Tags: []Tag{}}
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		key, err := s.alarmKeyOfARN(r, deref(in.ResourceARN))
		if err != nil {
			return err
		}
		var doc alarmDoc
		if err := tx.Get(nsAlarm, key, &doc); err != nil {
			if service.IsNotFound(err) {
				return errTagTarget(deref(in.ResourceARN))
			}
			return err
		}
		out.Tags = append(out.Tags, doc.Tags...)
		return nil
	})
	return out, err
}

func (s *Service) updateTags(ctx context.Context, r *service.Request, arn string, fn func([]Tag) ([]Tag, error)) error {
	return s.env.State.Update(ctx, func(tx *state.Tx) error {
		key, err := s.alarmKeyOfARN(r, arn)
		if err != nil {
			return err
		}
		var doc alarmDoc
		if err := tx.Get(nsAlarm, key, &doc); err != nil {
			if service.IsNotFound(err) {
				return errTagTarget(arn)
			}
			return err
		}
		tags, err := fn(append([]Tag(nil), doc.Tags...))
		if err != nil {
			return err
		}
		doc.Tags = tags
		return tx.Put(nsAlarm, key, doc)
	})
}

// alarmKeyOfARN maps arn:aws:cloudwatch:<region>:<account>:alarm:<name>
// to the alarm's state key.
func (s *Service) alarmKeyOfARN(r *service.Request, arn string) (string, error) {
	if arn == "" {
		return "", errMissing("ResourceARN")
	}
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "cloudwatch" {
		return "", errInvalid("The value %s for parameter ResourceARN is not a CloudWatch ARN.", arn)
	}
	if parts[5] != "alarm" || parts[4] != s.env.AccountID {
		return "", errTagTarget(arn)
	}
	region := parts[3]
	if region == "" {
		region = s.env.RegionOf(r)
	}
	return alarmKey(region, parts[6]), nil
}

func errTagTarget(arn string) error {
	return protocol.Errorf(http.StatusNotFound, codeResourceNotFoundException, "The resource %s does not exist.", arn)
}
