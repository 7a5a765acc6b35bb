package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Retention is the `retention {}` block of serve: how long vigil serve
// keeps what it records before its hourly prune removes it. A zero
// duration ("off") keeps that kind forever.
//
//	serve {
//	  retention {
//	    canary_results   = "7d"    # default
//	    drift_reports    = "30d"   # default; each stack's newest report always stays
//	    alert_deliveries = "30d"   # default
//	  }
//	}
//
// Runs, approvals, the audit log, incidents and alert states are never
// pruned.
type Retention struct {
	CanaryResults   time.Duration
	DriftReports    time.Duration
	AlertDeliveries time.Duration
}

// Retention defaults.
const (
	DefaultCanaryRetention   = 7 * 24 * time.Hour
	DefaultDriftRetention    = 30 * 24 * time.Hour
	DefaultDeliveryRetention = 30 * 24 * time.Hour
	// MinRetention is the shortest retention accepted: shorter is almost
	// always a unit slip ("30m" for thirty months).
	MinRetention = time.Hour
)

// DefaultRetention is the retention when vigil.hcl says nothing.
func DefaultRetention() Retention {
	return Retention{CanaryResults: DefaultCanaryRetention, DriftReports: DefaultDriftRetention, AlertDeliveries: DefaultDeliveryRetention}
}

type retentionBlock struct {
	CanaryResults        *string   `hcl:"canary_results,optional"`
	CanaryResultsRange   hcl.Range `hcl:"canary_results,attr_range"`
	DriftReports         *string   `hcl:"drift_reports,optional"`
	DriftReportsRange    hcl.Range `hcl:"drift_reports,attr_range"`
	AlertDeliveries      *string   `hcl:"alert_deliveries,optional"`
	AlertDeliveriesRange hcl.Range `hcl:"alert_deliveries,attr_range"`
	DefRange             hcl.Range `hcl:",def_range"`
}

func decodeRetention(raw []retentionBlock, diags *hcl.Diagnostics) Retention {
	r := DefaultRetention()
	if len(raw) == 0 {
		return r
	}
	if len(raw) > 1 {
		rng := raw[1].DefRange
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate retention block", Detail: "Declare one retention block in serve.", Subject: &rng})
	}
	b := raw[0]
	for _, f := range []struct {
		name string
		v    *string
		rng  hcl.Range
		dst  *time.Duration
	}{
		{"canary_results", b.CanaryResults, b.CanaryResultsRange, &r.CanaryResults},
		{"drift_reports", b.DriftReports, b.DriftReportsRange, &r.DriftReports},
		{"alert_deliveries", b.AlertDeliveries, b.AlertDeliveriesRange, &r.AlertDeliveries},
	} {
		if f.v == nil {
			continue
		}
		d, err := ParseRetention(*f.v)
		if err != nil {
			rng := f.rng
			*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid retention", Detail: fmt.Sprintf("%s: %v.", f.name, err), Subject: &rng})
			continue
		}
		*f.dst = d
	}
	return r
}

var retentionRe = regexp.MustCompile(`^(?:(\d+)d)?(.*)$`)

// ParseRetention reads a retention: a Go duration with a day unit in
// front ("7d", "36h", "1d12h"), at least MinRetention, or "off" (0: keep
// forever).
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return 0, nil
	}
	bad := fmt.Errorf(`%q is not a duration like "7d", "36h" or "1d12h" (or "off" to keep forever)`, s)
	m := retentionRe.FindStringSubmatch(s)
	if s == "" || m == nil {
		return 0, bad
	}
	var d time.Duration
	if m[1] != "" {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100*365 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	}
	if m[2] != "" {
		rest, err := time.ParseDuration(m[2])
		if err != nil || rest < 0 {
			return 0, bad
		}
		d += rest
	}
	if d < MinRetention {
		return 0, fmt.Errorf("%q is shorter than %s (write \"off\" to keep forever)", s, MinRetention)
	}
	return d, nil
}
