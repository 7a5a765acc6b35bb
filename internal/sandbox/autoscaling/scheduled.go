package autoscaling

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

type scalableTargetAction struct {
	MinCapacity *int `json:"MinCapacity,omitempty"`
	MaxCapacity *int `json:"MaxCapacity,omitempty"`
}

type scheduledDoc struct {
	targetID
	Name     string               `json:"ScheduledActionName"`
	ARN      string               `json:"ScheduledActionARN"`
	Schedule string               `json:"Schedule"`
	Timezone string               `json:"Timezone"`
	Start    *time.Time           `json:"start,omitempty"`
	End      *time.Time           `json:"end,omitempty"`
	Action   scalableTargetAction `json:"ScalableTargetAction"`
	Created  time.Time            `json:"created"`
}

func (d *scheduledDoc) key(region string) string { return d.targetID.key(region) + "|" + d.Name }

type scheduledOut struct {
	ScheduledActionName  string               `json:"ScheduledActionName"`
	ScheduledActionARN   string               `json:"ScheduledActionARN"`
	ServiceNamespace     string               `json:"ServiceNamespace"`
	Schedule             string               `json:"Schedule"`
	Timezone             string               `json:"Timezone,omitempty"`
	ResourceID           string               `json:"ResourceId"`
	ScalableDimension    string               `json:"ScalableDimension"`
	StartTime            *epoch               `json:"StartTime,omitempty"`
	EndTime              *epoch               `json:"EndTime,omitempty"`
	ScalableTargetAction scalableTargetAction `json:"ScalableTargetAction"`
	CreationTime         *epoch               `json:"CreationTime"`
}

func (d *scheduledDoc) out() scheduledOut {
	o := scheduledOut{ScheduledActionName: d.Name, ScheduledActionARN: d.ARN, ServiceNamespace: d.Namespace,
		Schedule: d.Schedule, Timezone: d.Timezone, ResourceID: d.Resource, ScalableDimension: d.Dimension,
		ScalableTargetAction: d.Action, CreationTime: ts(d.Created)}
	if d.Start != nil {
		o.StartTime = ts(*d.Start)
	}
	if d.End != nil {
		o.EndTime = ts(*d.End)
	}
	return o
}

var (
	atRE   = regexp.MustCompile(`^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$`)
	rateRE = regexp.MustCompile(`^rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)$`)
	cronRE = regexp.MustCompile(`^cron\(\S+( \S+){5}\)$`)
)

func checkSchedule(s string) error {
	switch {
	case atRE.MatchString(s):
		if _, err := time.Parse("2006-01-02T15:04:05", s[3:len(s)-1]); err != nil {
			return errValidation("Schedule '%s' has an invalid date", s)
		}
		return nil
	case rateRE.MatchString(s):
		n := strings.Fields(s[5 : len(s)-1])
		if (n[0] == "1") != !strings.HasSuffix(n[1], "s") {
			return errValidation("Schedule '%s': use a singular unit for 1 and a plural unit otherwise", s)
		}
		return nil
	case cronRE.MatchString(s):
		return nil
	}
	return errValidation("Schedule '%s' is not valid: use at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)", s)
}

func (s *Service) putScheduledAction(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		targetID
		ScheduledActionName  string                `json:"ScheduledActionName"`
		Schedule             string                `json:"Schedule"`
		Timezone             string                `json:"Timezone"`
		StartTime            *epoch                `json:"StartTime"`
		EndTime              *epoch                `json:"EndTime"`
		ScalableTargetAction *scalableTargetAction `json:"ScalableTargetAction"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.ScheduledActionName == "" || len(req.ScheduledActionName) > 256 || strings.ContainsAny(req.ScheduledActionName, ":/|") {
		return nil, errValidation("1 validation error detected: Value '%s' at 'scheduledActionName' failed to satisfy constraint: Member must have length between 1 and 256", req.ScheduledActionName)
	}
	if err := checkTargetID(req.targetID); err != nil {
		return nil, err
	}
	if req.Timezone != "" {
		if _, err := time.LoadLocation(req.Timezone); err != nil {
			return nil, errValidation("Timezone '%s' is not a valid IANA time zone", req.Timezone)
		}
	}
	if a := req.ScalableTargetAction; a != nil && a.MinCapacity != nil && a.MaxCapacity != nil && *a.MinCapacity > *a.MaxCapacity {
		return nil, errValidation("Minimum capacity cannot be greater than maximum capacity")
	}
	region := s.env.RegionOf(r)
	err := s.update(ctx, func(tx *state.Tx) error {
		if _, err := loadTarget(tx, region, req.targetID); err != nil {
			return err
		}
		d := &scheduledDoc{targetID: req.targetID, Name: req.ScheduledActionName}
		existing, err := getDoc[scheduledDoc](tx, nsScheduled, d.key(region))
		switch {
		case err == nil:
			d = existing
		case isNotFound(err):
			if req.Schedule == "" {
				return errValidation("Schedule must be specified for a new scheduled action")
			}
			d.ARN = fmt.Sprintf("arn:aws:autoscaling:%s:%s:scheduledAction:%s:resource/%s/%s:scheduledActionName/%s",
				region, s.env.AccountID, newUUID(), d.Namespace, d.Resource, d.Name)
			d.Created, d.Timezone = s.now(), "UTC"
		default:
			return err
		}
		if req.Schedule != "" {
			if err := checkSchedule(req.Schedule); err != nil {
				return err
			}
			d.Schedule = req.Schedule
		}
		if req.Timezone != "" {
			d.Timezone = req.Timezone
		}
		if req.StartTime != nil {
			t := time.Time(*req.StartTime)
			d.Start = &t
		}
		if req.EndTime != nil {
			t := time.Time(*req.EndTime)
			d.End = &t
		}
		if d.Start != nil && d.End != nil && !d.Start.Before(*d.End) {
			return errValidation("The start time must be before the end time")
		}
		if req.ScalableTargetAction != nil {
			d.Action = *req.ScalableTargetAction
		}
		return tx.Put(nsScheduled, d.key(region), d)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) describeScheduledActions(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		ServiceNamespace     string   `json:"ServiceNamespace"`
		ScheduledActionNames []string `json:"ScheduledActionNames"`
		ResourceID           string   `json:"ResourceId"`
		ScalableDimension    string   `json:"ScalableDimension"`
		MaxResults           *int     `json:"MaxResults"`
		NextToken            string   `json:"NextToken"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, ok := dimensions[req.ServiceNamespace]; !ok {
		return nil, errValidation("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set", req.ServiceNamespace)
	}
	region := s.env.RegionOf(r)
	names := map[string]bool{}
	for _, n := range req.ScheduledActionNames {
		names[n] = true
	}
	var actions []scheduledDoc
	err := s.view(ctx, func(tx *state.Tx) error {
		all, err := listDocs[scheduledDoc](tx, nsScheduled, region+"|"+req.ServiceNamespace+"|")
		if err != nil {
			return err
		}
		for _, d := range all {
			if len(names) > 0 && !names[d.Name] {
				continue
			}
			if req.ResourceID != "" && d.Resource != req.ResourceID {
				continue
			}
			if req.ScalableDimension != "" && d.Dimension != req.ScalableDimension {
				continue
			}
			actions = append(actions, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := pageOf(actions, func(d scheduledDoc) string { return d.key(region) }, req.NextToken, req.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	out := []scheduledOut{}
	for i := range pg {
		out = append(out, pg[i].out())
	}
	res := map[string]any{"ScheduledActions": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

func (s *Service) deleteScheduledAction(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		targetID
		ScheduledActionName string `json:"ScheduledActionName"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.ScheduledActionName == "" {
		return nil, errValidation("ScheduledActionName must be specified")
	}
	region := s.env.RegionOf(r)
	err := s.update(ctx, func(tx *state.Tx) error {
		k := req.key(region) + "|" + req.ScheduledActionName
		ok, err := tx.Exists(nsScheduled, k)
		if err != nil {
			return err
		}
		if !ok {
			return errObjectNotFound("No scheduled action found for %s, scheduled action name: %s", req.describe(), req.ScheduledActionName)
		}
		return tx.Delete(nsScheduled, k)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// ---- scaling activities ----

type activityDoc struct {
	targetID
	ActivityID    string    `json:"ActivityId"`
	Description   string    `json:"Description"`
	Cause         string    `json:"Cause"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	StatusCode    string    `json:"StatusCode"`
	StatusMessage string    `json:"StatusMessage"`
}

// recordActivity stores a completed scaling activity.
// ("Setting desired count to N.", as AWS describes it for ECS).
func (s *Service) recordActivity(tx *state.Tx, region string, id targetID, desired int, cause string) error {
	now := s.now()
	a := activityDoc{targetID: id, ActivityID: newUUID(), Description: fmt.Sprintf("Setting desired count to %d.", desired), Cause: cause,
		Start: now, End: now, StatusCode: "Successful",
		StatusMessage: fmt.Sprintf("Successfully set desired count to %d. Change successfully fulfilled by ecs.", desired)}
	return tx.Put(nsActivity, fmt.Sprintf("%s|%020d|%s", id.key(region), now.UnixNano(), a.ActivityID), a)
}

type activityOut struct {
	ActivityID        string `json:"ActivityId"`
	ServiceNamespace  string `json:"ServiceNamespace"`
	ResourceID        string `json:"ResourceId"`
	ScalableDimension string `json:"ScalableDimension"`
	Description       string `json:"Description"`
	Cause             string `json:"Cause"`
	StartTime         *epoch `json:"StartTime"`
	EndTime           *epoch `json:"EndTime,omitempty"`
	StatusCode        string `json:"StatusCode"`
	StatusMessage     string `json:"StatusMessage,omitempty"`
}

func (s *Service) describeScalingActivities(ctx context.Context, r *Request, in []byte) (any, error) {
	var req struct {
		ServiceNamespace           string `json:"ServiceNamespace"`
		ResourceID                 string `json:"ResourceId"`
		ScalableDimension          string `json:"ScalableDimension"`
		MaxResults                 *int   `json:"MaxResults"`
		NextToken                  string `json:"NextToken"`
		IncludeNotScaledActivities bool   `json:"IncludeNotScaledActivities"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, ok := dimensions[req.ServiceNamespace]; !ok {
		return nil, errValidation("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set", req.ServiceNamespace)
	}
	region := s.env.RegionOf(r)
	type item struct {
		key string
		doc activityDoc
	}
	var items []item
	err := s.view(ctx, func(tx *state.Tx) error {
		ents, err := tx.List(state.ListParams{NS: nsActivity, Prefix: region + "|" + req.ServiceNamespace + "|"})
		if err != nil {
			return err
		}
		for _, e := range ents {
			var d activityDoc
			if err := json.Unmarshal(e.Value, &d); err != nil {
				return err
			}
			if req.ResourceID != "" && d.Resource != req.ResourceID {
				continue
			}
			if req.ScalableDimension != "" && d.Dimension != req.ScalableDimension {
				continue
			}
			items = append(items, item{key: e.Key, doc: d})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Newest first, as AWS answers; tokens sort the same way.
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	pg, next, err := pageOf(items, func(it item) string { return invertKey(it.key) }, req.NextToken, req.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	out := []activityOut{}
	for _, it := range pg {
		d := it.doc
		out = append(out, activityOut{ActivityID: d.ActivityID, ServiceNamespace: d.Namespace, ResourceID: d.Resource,
			ScalableDimension: d.Dimension, Description: d.Description, Cause: d.Cause, StartTime: ts(d.Start),
			EndTime: ts(d.End), StatusCode: d.StatusCode, StatusMessage: d.StatusMessage})
	}
	res := map[string]any{"ScalingActivities": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

// invertKey maps a key to one sorting in the opposite order.
func invertKey(k string) string {
	b := []byte(k)
	for i := range b {
		b[i] = 255 - b[i]
	}
	return fmt.Sprintf("%x", b)
}
