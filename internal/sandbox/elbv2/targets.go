package elbv2

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/protocol"
	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Target health is what the health checks say. The sandbox probes no
// network: the workload simulation (internal/sandbox/workload) runs each
// target group's health checks on the virtual clock, at its interval,
// against the simulated tasks, and records every result with
// RecordHealthCheck. A registered target is "initial" until it passes
// HealthyThresholdCount checks in a row ("healthy") or fails
// UnhealthyThresholdCount in a row ("unhealthy"); a healthy target turns
// unhealthy after UnhealthyThresholdCount failures and back after
// HealthyThresholdCount passes. A deregistered target is "draining" for the
// group's deregistration delay and then gone. A group no listener or rule
// forwards to leaves its targets "unused", and is not checked.

type targetDoc struct {
	TargetGroupARN string     `json:"tg"`
	ID             string     `json:"id"`
	Port           int        `json:"port,omitempty"`
	AZ             string     `json:"az,omitempty"`
	Registered     time.Time  `json:"registered"`
	DrainUntil     *time.Time `json:"drain_until,omitempty"`
	// Health check results (RecordHealthCheck).
	State     string     `json:"state,omitempty"` // "", initial, healthy, unhealthy
	Reason    string     `json:"reason,omitempty"`
	Detail    string     `json:"detail,omitempty"`
	Passes    int        `json:"passes,omitempty"`
	Fails     int        `json:"fails,omitempty"`
	LastCheck *time.Time `json:"last_check,omitempty"`
}

func targetKey(tg *tgDoc, id string, port int) string {
	p, _ := parseARN(tg.ARN)
	return p.Region + "/" + tg.Name + "/" + id + "|" + strconv.Itoa(port)
}

// Target is one target of a target group.
type Target struct {
	ID   string
	Port int // 0 means the target group's port
	AZ   string
}

func parseTargets(form url.Values) ([]Target, error) {
	ms := members(form, "Targets")
	var out []Target
	for _, m := range ms {
		t := Target{ID: m.Get("Id"), AZ: m.Get("AvailabilityZone")}
		if t.ID == "" {
			return nil, errValidation("1 validation error detected: Value null at 'targets.member.id' failed to satisfy constraint: Member must not be null")
		}
		if p := m.Get("Port"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return nil, errValidation("Value '%s' at 'targets.member.port' failed to satisfy constraint: Member must have value between 1 and 65535", p)
			}
			t.Port = n
		}
		out = append(out, t)
	}
	return out, nil
}

// checkTarget applies AWS's rules for a target of the group's type.
func checkTarget(tx *state.Tx, tg *tgDoc, t Target) error {
	switch tg.TargetType {
	case "ip":
		ip := net.ParseIP(t.ID)
		if ip == nil || (tg.IPAddressType != "ipv6") != (ip.To4() != nil) {
			return errValidation("The IP address '%s' is not a valid %s address", t.ID, tg.IPAddressType)
		}
		if t.AZ == "all" {
			return nil
		}
		p, _ := parseARN(tg.ARN)
		v, ok, err := LookupVPC(tx, p.Region, tg.VpcID)
		if err != nil {
			return err
		}
		if ok && v.CidrBlock != "" {
			if _, n, err := net.ParseCIDR(v.CidrBlock); err == nil && !n.Contains(ip) && ip.To4() != nil {
				return errInvalidTarget("The IP address '%s' is not within any of the CIDR blocks of the target group's VPC", t.ID)
			}
		}
	case "instance":
		return errInvalidTarget("The following targets are not in a running state and can not be registered: '%s' (the sandbox runs no EC2 instances)", t.ID)
	case "lambda":
		if !strings.HasPrefix(t.ID, "arn:aws:lambda:") {
			return errValidation("The target '%s' is not a valid Lambda function ARN", t.ID)
		}
	case "alb":
		if _, err := lbByARN(tx, t.ID); err != nil {
			return errInvalidTarget("The target '%s' is not a valid Application Load Balancer", t.ID)
		}
	}
	if tg.TargetType != "lambda" && t.Port == 0 && tg.Port == 0 {
		return errValidation("A port must be specified for target '%s'", t.ID)
	}
	return nil
}

// RegisterTargets registers targets in the target group with ARN tgARN, as
// the RegisterTargets operation does. ECS calls it, inside its own
// transaction, for the tasks of a service with a load balancer.
func RegisterTargets(tx *state.Tx, env service.Env, tgARN string, targets []Target) error {
	tg, err := tgByARN(tx, tgARN)
	if err != nil {
		return err
	}
	now := env.Now().UTC()
	if err := purgeDrained(tx, tg, now); err != nil {
		return err
	}
	for _, t := range targets {
		if err := checkTarget(tx, tg, t); err != nil {
			return err
		}
		port := t.Port
		if port == 0 {
			port = tg.Port
		}
		k := targetKey(tg, t.ID, port)
		doc, err := getDoc[targetDoc](tx, nsTarget, k)
		switch {
		case err == nil && doc.DrainUntil == nil:
			continue // already registered
		case err != nil && !isNotFound(err):
			return err
		}
		if err := tx.Put(nsTarget, k, targetDoc{TargetGroupARN: tg.ARN, ID: t.ID, Port: port, AZ: t.AZ, Registered: now}); err != nil {
			return err
		}
	}
	return nil
}

// DeregisterTargets deregisters targets as the DeregisterTargets operation
// does: they drain for the group's deregistration delay.
func DeregisterTargets(tx *state.Tx, env service.Env, tgARN string, targets []Target) error {
	tg, err := tgByARN(tx, tgARN)
	if err != nil {
		return err
	}
	now := env.Now().UTC()
	delay, _ := strconv.Atoi(tg.Attributes["deregistration_delay.timeout_seconds"])
	var missing []string
	for _, t := range targets {
		port := t.Port
		if port == 0 {
			port = tg.Port
		}
		k := targetKey(tg, t.ID, port)
		doc, err := getDoc[targetDoc](tx, nsTarget, k)
		if isNotFound(err) || (err == nil && doc.DrainUntil != nil && !now.Before(*doc.DrainUntil)) {
			missing = append(missing, t.ID)
			continue
		}
		if err != nil {
			return err
		}
		if doc.DrainUntil != nil {
			continue
		}
		until := now.Add(time.Duration(delay) * time.Second)
		doc.DrainUntil = &until
		if err := tx.Put(nsTarget, k, doc); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return errInvalidTarget("The following targets are not registered in target group '%s': '%s'", tgARN, strings.Join(missing, "', '"))
	}
	return nil
}

// purgeDrained forgets targets whose draining has ended.
func purgeDrained(tx *state.Tx, tg *tgDoc, now time.Time) error {
	p, _ := parseARN(tg.ARN)
	prefix := p.Region + "/" + tg.Name + "/"
	all, err := listDocs[targetDoc](tx, nsTarget, prefix)
	if err != nil {
		return err
	}
	for _, t := range all {
		if t.DrainUntil != nil && !now.Before(*t.DrainUntil) {
			if err := tx.Delete(nsTarget, targetKey(tg, t.ID, t.Port)); err != nil {
				return err
			}
		}
	}
	return nil
}

// TargetGroupInfo is what other services need to know about a target group.
type TargetGroupInfo struct {
	ARN              string
	Name             string
	Protocol         string
	Port             int
	TargetType       string
	VpcID            string
	LoadBalancerARNs []string
}

// DescribeTargetGroup reads a target group by ARN; ok is false when it does
// not exist.
func DescribeTargetGroup(tx *state.Tx, tgARN string) (TargetGroupInfo, bool, error) {
	tg, err := tgByARN(tx, tgARN)
	var pe *protocol.Error
	if asProtocolError(err, &pe) {
		return TargetGroupInfo{}, false, nil
	}
	if err != nil {
		return TargetGroupInfo{}, false, err
	}
	p, _ := parseARN(tgARN)
	lbs, err := tgLoadBalancers(tx, p.Region)
	if err != nil {
		return TargetGroupInfo{}, false, err
	}
	return TargetGroupInfo{ARN: tg.ARN, Name: tg.Name, Protocol: tg.Protocol, Port: tg.Port, TargetType: tg.TargetType,
		VpcID: tg.VpcID, LoadBalancerARNs: lbs[tg.ARN]}, true, nil
}

func (s *Service) registerTargets(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "TargetGroupArn")
	if err != nil {
		return nil, err
	}
	targets, err := parseTargets(form)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null")
	}
	if err := s.update(ctx, func(tx *state.Tx) error { return RegisterTargets(tx, s.env, a, targets) }); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) deregisterTargets(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "TargetGroupArn")
	if err != nil {
		return nil, err
	}
	targets, err := parseTargets(form)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null")
	}
	if err := s.update(ctx, func(tx *state.Tx) error { return DeregisterTargets(tx, s.env, a, targets) }); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type xmlTarget struct {
	ID               string `xml:"Id"`
	Port             *int   `xml:"Port,omitempty"`
	AvailabilityZone string `xml:"AvailabilityZone,omitempty"`
}

type xmlTargetHealth struct {
	State       string `xml:"State"`
	Reason      string `xml:"Reason,omitempty"`
	Description string `xml:"Description,omitempty"`
}

type xmlTHD struct {
	Target          xmlTarget       `xml:"Target"`
	HealthCheckPort string          `xml:"HealthCheckPort,omitempty"`
	TargetHealth    xmlTargetHealth `xml:"TargetHealth"`
}

// health computes a registered target's health at now.
func health(tg *tgDoc, t *targetDoc, inUse bool, now time.Time) (xmlTargetHealth, bool) {
	if t.DrainUntil != nil {
		if !now.Before(*t.DrainUntil) {
			return xmlTargetHealth{}, false
		}
		return xmlTargetHealth{State: "draining", Reason: "Target.DeregistrationInProgress", Description: "Target deregistration is in progress"}, true
	}
	if !inUse {
		return xmlTargetHealth{State: "unused", Reason: "Target.NotInUse", Description: "Target group is not configured to receive traffic from the load balancer"}, true
	}
	if !tg.HealthCheck.Enabled {
		return xmlTargetHealth{State: "unavailable", Reason: "Target.HealthCheckDisabled", Description: "Health checks are disabled"}, true
	}
	switch t.State {
	case "healthy":
		return xmlTargetHealth{State: "healthy"}, true
	case "unhealthy":
		return xmlTargetHealth{State: "unhealthy", Reason: t.Reason, Description: t.Detail}, true
	}
	if t.LastCheck == nil {
		return xmlTargetHealth{State: "initial", Reason: "Elb.RegistrationInProgress", Description: "Target registration is in progress"}, true
	}
	return xmlTargetHealth{State: "initial", Reason: "Elb.InitialHealthChecking", Description: "Initial health checks in progress"}, true
}

func (s *Service) describeTargetHealth(ctx context.Context, _ *Request, form url.Values) (any, error) {
	a, err := required(form, "TargetGroupArn")
	if err != nil {
		return nil, err
	}
	asked, err := parseTargets(form)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := xmlList[xmlTHD]{}
	err = s.view(ctx, func(tx *state.Tx) error {
		tg, err := tgByARN(tx, a)
		if err != nil {
			return err
		}
		p, _ := parseARN(a)
		lbs, err := tgLoadBalancers(tx, p.Region)
		if err != nil {
			return err
		}
		inUse := len(lbs[a]) > 0
		hcPort := func(port int) string {
			if tg.HealthCheck.Port == "traffic-port" {
				return strconv.Itoa(port)
			}
			return tg.HealthCheck.Port
		}
		describe := func(t *targetDoc) (xmlTHD, bool) {
			h, ok := health(tg, t, inUse, now)
			if !ok {
				return xmlTHD{}, false
			}
			d := xmlTHD{Target: xmlTarget{ID: t.ID, AvailabilityZone: t.AZ}, TargetHealth: h}
			if tg.TargetType != "lambda" {
				port := t.Port
				d.Target.Port = &port
				d.HealthCheckPort = hcPort(port)
			}
			return d, true
		}
		if len(asked) == 0 {
			all, err := listDocs[targetDoc](tx, nsTarget, p.Region+"/"+tg.Name+"/")
			if err != nil {
				return err
			}
			for i := range all {
				if d, ok := describe(&all[i]); ok {
					out = append(out, d)
				}
			}
			return nil
		}
		for _, t := range asked {
			if err := checkTarget(tx, tg, t); err != nil && tg.TargetType != "instance" {
				return err
			}
			port := t.Port
			if port == 0 {
				port = tg.Port
			}
			doc, err := getDoc[targetDoc](tx, nsTarget, targetKey(tg, t.ID, port))
			if err != nil && !isNotFound(err) {
				return err
			}
			if err == nil {
				if d, ok := describe(doc); ok {
					out = append(out, d)
					continue
				}
			}
			d := xmlTHD{Target: xmlTarget{ID: t.ID, AvailabilityZone: t.AZ},
				TargetHealth: xmlTargetHealth{State: "unused", Reason: "Target.NotRegistered", Description: "Target is not registered to the target group"}}
			if tg.TargetType != "lambda" {
				d.Target.Port = &port
				d.HealthCheckPort = hcPort(port)
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct {
		TargetHealthDescriptions xmlList[xmlTHD] `xml:"TargetHealthDescriptions"`
	}{out}, nil
}
