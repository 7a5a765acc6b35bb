package autoscaling

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type suspendedState struct {
	DynamicScalingInSuspended  bool `json:"DynamicScalingInSuspended"`
	DynamicScalingOutSuspended bool `json:"DynamicScalingOutSuspended"`
	ScheduledScalingSuspended  bool `json:"ScheduledScalingSuspended"`
}

type targetDoc struct {
	targetID
	ARN         string            `json:"arn"`
	MinCapacity int               `json:"min"`
	MaxCapacity int               `json:"max"`
	RoleARN     string            `json:"role_arn"`
	Suspended   suspendedState    `json:"suspended"`
	Created     time.Time         `json:"created"`
	Tags        map[string]string `json:"tags,omitempty"`
}

type targetOut struct {
	ServiceNamespace  string         `json:"ServiceNamespace"`
	ResourceID        string         `json:"ResourceId"`
	ScalableDimension string         `json:"ScalableDimension"`
	MinCapacity       int            `json:"MinCapacity"`
	MaxCapacity       int            `json:"MaxCapacity"`
	RoleARN           string         `json:"RoleARN"`
	CreationTime      *epoch         `json:"CreationTime"`
	SuspendedState    suspendedState `json:"SuspendedState"`
	ScalableTargetARN string         `json:"ScalableTargetARN"`
}

func (t *targetDoc) out() targetOut {
	return targetOut{ServiceNamespace: t.Namespace, ResourceID: t.Resource, ScalableDimension: t.Dimension,
		MinCapacity: t.MinCapacity, MaxCapacity: t.MaxCapacity, RoleARN: t.RoleARN, CreationTime: ts(t.Created),
		SuspendedState: t.Suspended, ScalableTargetARN: t.ARN}
}

// serviceLinkedRole is the role AWS uses to scale a namespace's resources.
func (s *Service) serviceLinkedRole(namespace string) string {
	suffix := map[string]string{"ecs": "ECSService", "dynamodb": "DynamoDBTable", "lambda": "LambdaConcurrency"}[namespace]
	return "arn:aws:iam::" + s.env.AccountID + ":role/aws-service-role/" + namespace +
		".application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_" + suffix
}

var roleARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)

func checkTagMap(tags map[string]string) error {
	if len(tags) > 50 {
		return errValidation("A resource can have at most 50 tags")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return errValidation("Tag keys must be 1-128 characters and values at most 256 characters")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errValidation("Tag keys starting with 'aws:' are reserved")
		}
	}
	return nil
}

// loadTarget loads a registered target or answers ObjectNotFoundException.
func loadTarget(tx *state.Tx, region string, id targetID) (*targetDoc, error) {
	t, err := getDoc[targetDoc](tx, nsTarget, id.key(region))
	if isNotFound(err) {
		return nil, errObjectNotFound("No scalable target registered for %s", id.describe())
	}
	return t, err
}

func (s *Service) registerScalableTarget(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		targetID
		MinCapacity    *int              `json:"MinCapacity"`
		MaxCapacity    *int              `json:"MaxCapacity"`
		RoleARN        string            `json:"RoleARN"`
		SuspendedState *suspendedState   `json:"SuspendedState"`
		Tags           map[string]string `json:"Tags"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := checkTargetID(req.targetID); err != nil {
		return nil, err
	}
	if req.RoleARN != "" && !roleARNRE.MatchString(req.RoleARN) {
		return nil, errValidation("1 validation error detected: Value '%s' at 'roleARN' failed to satisfy constraint: Member must be a role ARN", req.RoleARN)
	}
	for _, v := range []*int{req.MinCapacity, req.MaxCapacity} {
		if v != nil && *v < 0 {
			return nil, errValidation("Capacity must not be negative")
		}
	}
	if err := checkTagMap(req.Tags); err != nil {
		return nil, err
	}
	region := s.env.RegionOf(r)
	var arn string
	err := s.update(ctx, func(tx *state.Tx) error {
		t, err := getDoc[targetDoc](tx, nsTarget, req.key(region))
		if err != nil && !isNotFound(err) {
			return err
		}
		var causes []string
		if isNotFound(err) {
			if req.MinCapacity == nil || req.MaxCapacity == nil {
				return errValidation("MinCapacity and MaxCapacity are required for registering a new scalable target")
			}
			t = &targetDoc{targetID: req.targetID, ARN: s.env.ARN("application-autoscaling", region, "scalable-target/"+randHex(4)+randHex(32)),
				RoleARN: s.serviceLinkedRole(req.Namespace), Created: s.now(), Tags: req.Tags}
		}
		if req.MinCapacity != nil {
			if *req.MinCapacity != t.MinCapacity {
				causes = append(causes, fmt.Sprintf("minimum capacity was set to %d", *req.MinCapacity))
			}
			t.MinCapacity = *req.MinCapacity
		}
		if req.MaxCapacity != nil {
			if *req.MaxCapacity != t.MaxCapacity {
				causes = append(causes, fmt.Sprintf("maximum capacity was set to %d", *req.MaxCapacity))
			}
			t.MaxCapacity = *req.MaxCapacity
		}
		if t.MinCapacity > t.MaxCapacity {
			return errValidation("Minimum capacity cannot be greater than maximum capacity")
		}
		if req.RoleARN != "" {
			t.RoleARN = req.RoleARN
		}
		if req.SuspendedState != nil {
			t.Suspended = *req.SuspendedState
		}
		if err := tx.Put(nsTarget, req.key(region), t); err != nil {
			return err
		}
		arn = t.ARN
		return s.scaleECS(tx, region, t, strings.Join(causes, " and "))
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"ScalableTargetARN": arn}, nil
}

func (s *Service) describeScalableTargets(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		ServiceNamespace  string   `json:"ServiceNamespace"`
		ResourceIds       []string `json:"ResourceIds"`
		ScalableDimension string   `json:"ScalableDimension"`
		MaxResults        *int     `json:"MaxResults"`
		NextToken         string   `json:"NextToken"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, ok := dimensions[req.ServiceNamespace]; !ok {
		return nil, errValidation("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set", req.ServiceNamespace)
	}
	if len(req.ResourceIds) > 50 {
		return nil, errValidation("At most 50 resource IDs can be specified")
	}
	region := s.env.RegionOf(r)
	ids := map[string]bool{}
	for _, id := range req.ResourceIds {
		ids[id] = true
	}
	var targets []targetDoc
	err := s.view(ctx, func(tx *state.Tx) error {
		all, err := listDocs[targetDoc](tx, nsTarget, region+"|"+req.ServiceNamespace+"|")
		if err != nil {
			return err
		}
		for _, t := range all {
			if len(ids) > 0 && !ids[t.Resource] {
				continue
			}
			if req.ScalableDimension != "" && t.Dimension != req.ScalableDimension {
				continue
			}
			targets = append(targets, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := pageOf(targets, func(t targetDoc) string { return t.key(region) }, req.NextToken, req.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	out := []targetOut{}
	for i := range pg {
		out = append(out, pg[i].out())
	}
	res := map[string]any{"ScalableTargets": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

func (s *Service) deregisterScalableTarget(ctx context.Context, r *Request, in []byte) (any, error) {
	var req targetID
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, ok := dimensions[req.Namespace]; !ok || req.Resource == "" || req.Dimension == "" {
		return nil, errValidation("ServiceNamespace, ResourceId and ScalableDimension must be specified")
	}
	region := s.env.RegionOf(r)
	err := s.update(ctx, func(tx *state.Tx) error {
		if _, err := loadTarget(tx, region, req); err != nil {
			return err
		}
		policies, err := listDocs[policyDoc](tx, nsPolicy, req.key(region)+"|")
		if err != nil {
			return err
		}
		for i := range policies {
			if err := s.deletePolicyAlarms(ctx, tx, region, &policies[i]); err != nil {
				return err
			}
		}
		for _, ns := range []string{nsPolicy, nsScheduled, nsActivity} {
			if err := tx.DeletePrefix(ns, req.key(region)+"|"); err != nil {
				return err
			}
		}
		return tx.Delete(nsTarget, req.key(region))
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// ---- tags ----

// targetByARN finds a scalable target by its ARN.
func targetByARN(tx *state.Tx, region, arn string) (*targetDoc, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "application-autoscaling" || !strings.HasPrefix(parts[5], "scalable-target/") {
		return nil, errValidation("Invalid resource ARN: %s", arn)
	}
	all, err := listDocs[targetDoc](tx, nsTarget, parts[3]+"|")
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ARN == arn {
			return &all[i], nil
		}
	}
	return nil, errResourceNotFound("No scalable target found for ARN %s", arn)
}

func (s *Service) tagResource(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		ResourceARN string            `json:"ResourceARN"`
		Tags        map[string]string `json:"Tags"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.ResourceARN == "" || len(req.Tags) == 0 {
		return nil, errValidation("ResourceARN and Tags must be specified")
	}
	region := s.env.RegionOf(r)
	err := s.update(ctx, func(tx *state.Tx) error {
		t, err := targetByARN(tx, region, req.ResourceARN)
		if err != nil {
			return err
		}
		if t.Tags == nil {
			t.Tags = map[string]string{}
		}
		for k, v := range req.Tags {
			t.Tags[k] = v
		}
		if err := checkTagMap(t.Tags); err != nil {
			return err
		}
		rg := strings.SplitN(t.ARN, ":", 6)[3]
		return tx.Put(nsTarget, t.key(rg), t)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) untagResource(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		ResourceARN string   `json:"ResourceARN"`
		TagKeys     []string `json:"TagKeys"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.ResourceARN == "" || len(req.TagKeys) == 0 {
		return nil, errValidation("ResourceARN and TagKeys must be specified")
	}
	region := s.env.RegionOf(r)
	err := s.update(ctx, func(tx *state.Tx) error {
		t, err := targetByARN(tx, region, req.ResourceARN)
		if err != nil {
			return err
		}
		for _, k := range req.TagKeys {
			delete(t.Tags, k)
		}
		rg := strings.SplitN(t.ARN, ":", 6)[3]
		return tx.Put(nsTarget, t.key(rg), t)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) listTagsForResource(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		ResourceARN string `json:"ResourceARN"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.ResourceARN == "" {
		return nil, errValidation("ResourceARN must be specified")
	}
	region := s.env.RegionOf(r)
	var tags map[string]string
	err := s.view(ctx, func(tx *state.Tx) error {
		t, err := targetByARN(tx, region, req.ResourceARN)
		if err != nil {
			return err
		}
		tags = t.Tags
		return nil
	})
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return map[string]any{"Tags": tags}, nil
}
