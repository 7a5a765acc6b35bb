package dynamodb

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// TTL.

type ttlSpecification struct {
	AttributeName string `json:"AttributeName"`
	Enabled       *bool  `json:"Enabled"`
}

func ttlDescription(t *tableDoc) map[string]any {
	if !t.TTLEnabled {
		return map[string]any{"TimeToLiveStatus": "DISABLED"}
	}
	return map[string]any{"TimeToLiveStatus": "ENABLED", "AttributeName": t.TTLAttribute}
}

func (s *Service) describeTimeToLive(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, tableNotFound(name))
		if err != nil {
			return err
		}
		out = map[string]any{"TimeToLiveDescription": ttlDescription(t)}
		return nil
	})
	return out, err
}

func (s *Service) updateTimeToLive(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		TableName               string            `json:"TableName"`
		TimeToLiveSpecification *ttlSpecification `json:"TimeToLiveSpecification"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if spec == nil || spec.Enabled == nil {
		return nil, validation("1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null")
	}
	if spec.AttributeName == "" || len(spec.AttributeName) > 255 {
		return nil, validation("1 validation error detected: Value '%s' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255 and greater than or equal to 1", spec.AttributeName)
	}
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, tableNotFound(name))
		if err != nil {
			return err
		}
		switch {
		case *spec.Enabled && t.TTLEnabled:
			return validation("TimeToLive is already enabled")
		case !*spec.Enabled && !t.TTLEnabled:
			return validation("TimeToLive is already disabled")
		case !*spec.Enabled && spec.AttributeName != t.TTLAttribute:
			return validation("TimeToLive is active on a different AttributeName: current AttributeName is %s", t.TTLAttribute)
		}
		t.TTLEnabled, t.TTLAttribute = *spec.Enabled, spec.AttributeName
		if !t.TTLEnabled {
			t.TTLAttribute = ""
		}
		return saveTable(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"TimeToLiveSpecification": map[string]any{"AttributeName": spec.AttributeName, "Enabled": *spec.Enabled}}, nil
}

// Continuous backups (point-in-time recovery).

func (s *Service) backupsDescription(t *tableDoc) map[string]any {
	pitr := map[string]any{"PointInTimeRecoveryStatus": "DISABLED"}
	if t.PITREnabled {
		since := t.Created
		if t.PITRSince != nil {
			since = *t.PITRSince
		}
		days := t.PITRDays
		if days == 0 {
			days = 35
		}
		earliest := s.env.Now().UTC().Add(-time.Duration(days) * 24 * time.Hour)
		if earliest.Before(since) {
			earliest = since
		}
		pitr = map[string]any{
			"PointInTimeRecoveryStatus":  "ENABLED",
			"RecoveryPeriodInDays":       days,
			"EarliestRestorableDateTime": ep(earliest),
			"LatestRestorableDateTime":   ep(s.env.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second)),
		}
	}
	return map[string]any{"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}
}

// backupTableNotFound is DescribeContinuousBackups' error for a missing
// table, which differs from the other operations'.
func backupTableNotFound(name string) func() error {
	return func() error { return errorf("TableNotFoundException", "Table not found: %s", name) }
}

func (s *Service) describeContinuousBackups(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = s.env.State.View(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, backupTableNotFound(name))
		if err != nil {
			return err
		}
		out = map[string]any{"ContinuousBackupsDescription": s.backupsDescription(t)}
		return nil
	})
	return out, err
}

func (s *Service) updateContinuousBackups(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		TableName                        string `json:"TableName"`
		PointInTimeRecoverySpecification *struct {
			PointInTimeRecoveryEnabled *bool `json:"PointInTimeRecoveryEnabled"`
			RecoveryPeriodInDays       *int  `json:"RecoveryPeriodInDays"`
		} `json:"PointInTimeRecoverySpecification"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region, name, err := s.tableRef(r, in.TableName)
	if err != nil {
		return nil, err
	}
	spec := in.PointInTimeRecoverySpecification
	if spec == nil || spec.PointInTimeRecoveryEnabled == nil {
		return nil, validation("1 validation error detected: Value null at 'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy constraint: Member must not be null")
	}
	days := 35
	if spec.RecoveryPeriodInDays != nil {
		if !*spec.PointInTimeRecoveryEnabled {
			return nil, validation("Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.")
		}
		days = *spec.RecoveryPeriodInDays
		if days < 1 || days > 35 {
			return nil, validation("1 validation error detected: Value '%d' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 35 and greater than or equal to 1", days)
		}
	}
	var out map[string]any
	err = s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := loadTable(tx, region, name, backupTableNotFound(name))
		if err != nil {
			return err
		}
		if *spec.PointInTimeRecoveryEnabled {
			if !t.PITREnabled {
				now := s.env.Now().UTC()
				t.PITRSince = &now
			}
			t.PITREnabled, t.PITRDays = true, days
		} else {
			t.PITREnabled, t.PITRDays, t.PITRSince = false, 0, nil
		}
		if err := saveTable(tx, t); err != nil {
			return err
		}
		out = map[string]any{"ContinuousBackupsDescription": s.backupsDescription(t)}
		return nil
	})
	return out, err
}

// Tags.

// tableByARN resolves a ResourceArn to its table.
func (s *Service) tableByARN(tx *state.Tx, arn string) (*tableDoc, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" || parts[4] != s.env.AccountID || !strings.HasPrefix(parts[5], "table/") {
		return nil, validation("Invalid TableArn: Invalid ResourceArn provided as input %s", arn)
	}
	name := strings.TrimPrefix(parts[5], "table/")
	if strings.Contains(name, "/") {
		return nil, protocolNotImplementedTagging(arn)
	}
	return loadTable(tx, parts[3], name, func() error {
		return errorf("ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", arn)
	})
}

func protocolNotImplementedTagging(arn string) error {
	return validation("Invalid TableArn: tagging %s is not supported by the sandbox (only tables can be tagged)", arn)
}

func (s *Service) tagResource(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		ResourceArn string `json:"ResourceArn"`
		Tags        []tag  `json:"Tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	return struct{}{}, s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := s.tableByARN(tx, in.ResourceArn)
		if err != nil {
			return err
		}
		t.Tags = mergeTags(t.Tags, in.Tags)
		if len(t.Tags) > 50 {
			return validation("One or more parameter values were invalid: Too many tags")
		}
		return saveTable(tx, t)
	})
}

func (s *Service) untagResource(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		ResourceArn string   `json:"ResourceArn"`
		TagKeys     []string `json:"TagKeys"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.env.State.Update(ctx, func(tx *state.Tx) error {
		t, err := s.tableByARN(tx, in.ResourceArn)
		if err != nil {
			return err
		}
		drop := map[string]bool{}
		for _, k := range in.TagKeys {
			drop[k] = true
		}
		kept := t.Tags[:0]
		for _, tg := range t.Tags {
			if !drop[tg.Key] {
				kept = append(kept, tg)
			}
		}
		t.Tags = kept
		return saveTable(tx, t)
	})
}

// tagsPage is how many tags ListTagsOfResource returns at once.
const tagsPage = 10

func (s *Service) listTagsOfResource(ctx context.Context, r *service.Request, body []byte) (any, error) {
	var in struct {
		ResourceArn string `json:"ResourceArn"`
		NextToken   string `json:"NextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var tags []tag
	err := s.env.State.View(ctx, func(tx *state.Tx) error {
		t, err := s.tableByARN(tx, in.ResourceArn)
		if err != nil {
			return err
		}
		tags = t.Tags
		return nil
	})
	if err != nil {
		return nil, err
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 || n > len(tags) {
			return nil, validation("Invalid NextToken")
		}
		start = n
	}
	end := min(start+tagsPage, len(tags))
	out := map[string]any{"Tags": append([]tag{}, tags[start:end]...)}
	if end < len(tags) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}
