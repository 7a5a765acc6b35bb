package iam

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// linkedService is a service the sandbox can create a service-linked role
// for: AWS's role name and the AWS-managed policy the role carries.
type linkedService struct {
	Principal   string // AWSServiceName
	RoleName    string
	Policy      string // AWS-managed policy name (path /aws-service-role/)
	Suffix      bool   // whether CustomSuffix is accepted
	Description string
}

// linkedServices is a constant table.
var linkedServices = []linkedService{
	{Principal: "ecs.amazonaws.com", RoleName: "AWSServiceRoleForECS", Policy: "AmazonECSServiceRolePolicy", Description: "Role to enable Amazon ECS to manage your cluster."},
	{Principal: "elasticloadbalancing.amazonaws.com", RoleName: "AWSServiceRoleForElasticLoadBalancing", Policy: "AWSElasticLoadBalancingServiceRolePolicy", Description: "Allows ELB to call AWS services on your behalf."},
	{Principal: "autoscaling.amazonaws.com", RoleName: "AWSServiceRoleForAutoScaling", Policy: "AutoScalingServiceRolePolicy", Suffix: true, Description: "Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling"},
	{Principal: "ecs.application-autoscaling.amazonaws.com", RoleName: "AWSServiceRoleForApplicationAutoScaling_ECSService", Policy: "AWSApplicationAutoscalingECSServicePolicy"},
	{Principal: "dynamodb.application-autoscaling.amazonaws.com", RoleName: "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", Policy: "AWSApplicationAutoscalingDynamoDBTablePolicy"},
	{Principal: "rds.amazonaws.com", RoleName: "AWSServiceRoleForRDS", Policy: "AmazonRDSServiceRolePolicy", Description: "Allows Amazon RDS to manage AWS resources on your behalf"},
}

// deletionTaskDoc records a DeleteServiceLinkedRole task (the sandbox
// deletes at once, so every task has SUCCEEDED).
type deletionTaskDoc struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func (s *Service) createServiceLinkedRole(ctx context.Context, _ *Request, form url.Values) (any, error) {
	principal, err := required(form, "AWSServiceName")
	if err != nil {
		return nil, err
	}
	if err := checkLen(principal, "AWSServiceName", 1, 128); err != nil {
		return nil, err
	}
	var ls linkedService
	found := false
	for _, l := range linkedServices {
		if l.Principal == principal {
			ls, found = l, true
			break
		}
	}
	if !found {
		return nil, errInvalidInput("Unrecognized service principal %s: the vigil sandbox creates service-linked roles for %s.", principal, linkedPrincipals())
	}
	name := ls.RoleName
	if suffix := form.Get("CustomSuffix"); suffix != "" {
		if !ls.Suffix {
			return nil, errInvalidInput("Custom suffix is not allowed for %s", principal)
		}
		if err := validName(suffix, "CustomSuffix", 64); err != nil {
			return nil, err
		}
		name += "_" + suffix
		if err := validName(name, "RoleName", 64); err != nil {
			return nil, err
		}
	}
	desc, err := readDescription(form)
	if err != nil {
		return nil, err
	}
	if desc == "" {
		desc = ls.Description
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + principal + `"},"Action":"sts:AssumeRole"}]}`
	r := &roleDoc{Name: name, ID: newID("AROA", 21), Path: serviceRolePathPrefix + principal + "/", AssumeRolePolicy: trust,
		Description: desc, MaxSessionDuration: 3600, Created: s.now()}
	err = s.update(ctx, func(tx *state.Tx) error {
		if ok, err := tx.Exists(nsRole, key(name)); err != nil {
			return err
		} else if ok {
			return errInvalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
		}
		policyARN := awsManagedARNPrefix[:len(awsManagedARNPrefix)-1] + serviceRolePathPrefix + ls.Policy
		if err := s.attach(tx, &r.policies, "role", r.Name, r.ID, policyARN, true); err != nil {
			return err
		}
		return putRoleDoc(tx, r)
	})
	if err != nil {
		return nil, err
	}
	return roleResult{Role: s.full(r)}, nil
}

func linkedPrincipals() string {
	names := make([]string, 0, len(linkedServices))
	for _, l := range linkedServices {
		names = append(names, l.Principal)
	}
	return strings.Join(names, ", ")
}

type deleteSLRResult struct {
	DeletionTaskID string `xml:"DeletionTaskId"`
}

func (s *Service) deleteServiceLinkedRole(ctx context.Context, _ *Request, form url.Values) (any, error) {
	name, err := roleName(form)
	if err != nil {
		return nil, err
	}
	var task string
	err = s.update(ctx, func(tx *state.Tx) error {
		r, err := getRoleDoc(tx, name)
		if err != nil {
			return err
		}
		if !r.serviceLinked() {
			return errInvalidInput("Role %s is not a service-linked role.", r.Name)
		}
		profiles, err := profilesForRole(tx, r.Name)
		if err != nil {
			return err
		}
		if len(profiles) > 0 {
			return errDeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		for _, arn := range append([]string(nil), r.Attached...) {
			if err := detach(tx, &r.policies, "role", r.Name, arn); err != nil {
				return err
			}
		}
		task = "task" + r.Path + r.Name + "/" + strings.ToLower(newID("", 32))
		if err := tx.Put(nsDeletionTask, task, deletionTaskDoc{ID: task, Status: "SUCCEEDED"}); err != nil {
			return err
		}
		return s.removeRole(tx, r)
	})
	if err != nil {
		return nil, err
	}
	return deleteSLRResult{DeletionTaskID: task}, nil
}

type deletionStatusResult struct {
	Status string `xml:"Status"`
}

func (s *Service) getServiceLinkedRoleDeletionStatus(ctx context.Context, _ *Request, form url.Values) (any, error) {
	id, err := required(form, "DeletionTaskId")
	if err != nil {
		return nil, err
	}
	if err := checkLen(id, "DeletionTaskId", 1, 1000); err != nil {
		return nil, err
	}
	var d deletionTaskDoc
	err = s.view(ctx, func(tx *state.Tx) error { return tx.Get(nsDeletionTask, id, &d) })
	if errors.Is(err, state.ErrNotFound) {
		return nil, errNoSuchEntity("Deletion task %s cannot be found.", id)
	}
	if err != nil {
		return nil, err
	}
	return deletionStatusResult{Status: d.Status}, nil
}
