package ec2

import (
	"context"
	"strconv"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// defaultLogFormat is the format of flow log records when none is given.
const defaultLogFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

type destOptionsXML struct {
	FileFormat               string `xml:"fileFormat"`
	HiveCompatiblePartitions bool   `xml:"hiveCompatiblePartitions"`
	PerHourPartition         bool   `xml:"perHourPartition"`
}

type flowLogXML struct {
	CreationTime             string          `xml:"creationTime"`
	DeliverLogsStatus        string          `xml:"deliverLogsStatus"`
	DeliverLogsPermissionArn string          `xml:"deliverLogsPermissionArn,omitempty"`
	DeliverCrossAccountRole  string          `xml:"deliverCrossAccountRole,omitempty"`
	FlowLogID                string          `xml:"flowLogId"`
	FlowLogStatus            string          `xml:"flowLogStatus"`
	LogGroupName             string          `xml:"logGroupName,omitempty"`
	ResourceID               string          `xml:"resourceId"`
	TrafficType              string          `xml:"trafficType,omitempty"`
	LogDestinationType       string          `xml:"logDestinationType"`
	LogDestination           string          `xml:"logDestination,omitempty"`
	LogFormat                string          `xml:"logFormat"`
	MaxAggregationInterval   int             `xml:"maxAggregationInterval"`
	DestinationOptions       *destOptionsXML `xml:"destinationOptions,omitempty"`
	Tags                     *set[tagXML]    `xml:"tagSet,omitempty"`
}

func flowLogXMLOf(f *flowLogDoc, tags map[string]string) flowLogXML {
	x := flowLogXML{CreationTime: awsTime(f.Created), DeliverLogsStatus: "SUCCESS",
		DeliverLogsPermissionArn: f.DeliverLogsPermissionArn, DeliverCrossAccountRole: f.DeliverCrossAccountRole,
		FlowLogID: f.ID, FlowLogStatus: "ACTIVE", LogGroupName: f.LogGroupName, ResourceID: f.ResourceID,
		TrafficType: f.TrafficType, LogDestinationType: f.LogDestinationType, LogDestination: f.LogDestination,
		LogFormat: f.LogFormat, MaxAggregationInterval: f.MaxAggregationInterval, Tags: tagSet(tags)}
	if d := f.DestinationOptions; d != nil {
		x.DestinationOptions = &destOptionsXML{d.FileFormat, d.HiveCompatiblePartitions, d.PerHourPartition}
	}
	return x
}

type unsuccessfulErrorXML struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type unsuccessfulXML struct {
	Error      unsuccessfulErrorXML `xml:"error"`
	ResourceID string               `xml:"resourceId"`
}

type createFlowLogsOut struct {
	ClientToken  string               `xml:"clientToken,omitempty"`
	FlowLogIDs   set[string]          `xml:"flowLogIdSet"`
	Unsuccessful set[unsuccessfulXML] `xml:"unsuccessful"`
}

// flowLogResource maps CreateFlowLogs' ResourceType to the kind of its
// resource ids. Transit gateways and regional NAT gateways cannot exist in
// the sandbox, so flow logs for them always fail as not found.
func flowLogResource(resourceType string) (kind, bool, error) {
	switch resourceType {
	case "VPC":
		return kVPC, true, nil
	case "Subnet":
		return kSubnet, true, nil
	case "NetworkInterface":
		return kENI, true, nil
	case "TransitGateway", "TransitGatewayAttachment", "RegionalNatGateway":
		return kind{}, false, nil
	case "":
		return kind{}, false, errMissing("ResourceType")
	}
	return kind{}, false, errInvalidValue("resourceType", resourceType)
}

func (s *Service) createFlowLogs(ctx context.Context, region string, p params) (any, error) {
	if len(p.list("TagFieldSpecification")) > 0 {
		return nil, notImplementedParam("CreateFlowLogs", "TagFieldSpecification")
	}
	ids := p.strs("ResourceId")
	if len(ids) == 0 {
		return nil, errMissing("ResourceId")
	}
	if len(ids) > 25 {
		return nil, errInvalidParam("You can specify at most 25 resource ids")
	}
	resourceType := p.str("ResourceType")
	k, modelled, err := flowLogResource(resourceType)
	if err != nil {
		return nil, err
	}
	traffic := p.str("TrafficType")
	switch traffic {
	case "ACCEPT", "REJECT", "ALL":
	case "":
		if resourceType != "TransitGateway" && resourceType != "TransitGatewayAttachment" {
			return nil, errMissing("TrafficType")
		}
	default:
		return nil, errInvalidValue("trafficType", traffic)
	}
	tmpl := flowLogDoc{TrafficType: traffic, LogFormat: defaultLogFormat, MaxAggregationInterval: 600,
		DeliverCrossAccountRole: p.str("DeliverCrossAccountRole"), Created: s.now()}
	if f := p.str("LogFormat"); f != "" {
		if !strings.Contains(f, "${") {
			return nil, errInvalidParam("Unknown fields provided in LogFormat: %s", f)
		}
		tmpl.LogFormat = f
	}
	if v, err := p.optInt("MaxAggregationInterval"); err != nil {
		return nil, err
	} else if v != nil {
		if *v != 60 && *v != 600 {
			return nil, errInvalidValue("maxAggregationInterval", strconv.Itoa(*v))
		}
		tmpl.MaxAggregationInterval = *v
	}
	role := p.str("DeliverLogsPermissionArn")
	dest, group := p.str("LogDestination"), p.str("LogGroupName")
	tmpl.LogDestinationType = p.str("LogDestinationType")
	switch tmpl.LogDestinationType {
	case "", "cloud-watch-logs":
		tmpl.LogDestinationType = "cloud-watch-logs"
		if (dest == "") == (group == "") {
			return nil, errCombination("Exactly one of LogDestination or LogGroupName must be specified for cloud-watch-logs")
		}
		if role == "" {
			return nil, errInvalidParam("DeliverLogsPermissionArn is required for LogDestinationType cloud-watch-logs")
		}
		if dest != "" {
			// arn:aws:logs:<region>:<account>:log-group:<name>[:*]
			parts := strings.SplitN(strings.TrimSuffix(dest, ":*"), ":", 7)
			if len(parts) != 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" || parts[6] == "" {
				return nil, errInvalidParam("LogDestination: %s is not a valid CloudWatch Logs log group ARN", dest)
			}
			group = parts[6]
			tmpl.LogDestination = strings.TrimSuffix(dest, ":*")
		} else {
			tmpl.LogDestination = s.env.ARN("logs", region, "log-group:"+group)
		}
		tmpl.LogGroupName = group
	case "s3", "kinesis-data-firehose":
		if dest == "" {
			return nil, errMissing("LogDestination")
		}
		if group != "" {
			return nil, errCombination("LogGroupName can only be used with LogDestinationType cloud-watch-logs")
		}
		if !strings.HasPrefix(dest, "arn:") {
			return nil, errInvalidParam("LogDestination: %s is not a valid ARN", dest)
		}
		if tmpl.LogDestinationType == "s3" {
			if role != "" {
				return nil, errCombination("DeliverLogsPermissionArn can't be used with LogDestinationType s3")
			}
			d, err := destinationOptions(p)
			if err != nil {
				return nil, err
			}
			tmpl.DestinationOptions = d
		}
		tmpl.LogDestination = dest
	default:
		return nil, errInvalidValue("logDestinationType", tmpl.LogDestinationType)
	}
	tmpl.DeliverLogsPermissionArn = role
	tags, err := p.tagSpecs("vpc-flow-log")
	if err != nil {
		return nil, err
	}
	token := p.str("ClientToken")
	out := createFlowLogsOut{ClientToken: token}
	err = s.update(ctx, func(tx *state.Tx) error {
		if prior, found, err := tokenLookup(tx, region, "CreateFlowLogs", token); err != nil {
			return err
		} else if found {
			out.FlowLogIDs.Items = strings.Split(prior, ",")
			return nil
		}
		existing, err := all[flowLogDoc](tx, kFlowLog, region)
		if err != nil {
			return err
		}
		var created []string
		for _, rid := range ids {
			fail := func(code, msg string) {
				out.Unsuccessful.Items = append(out.Unsuccessful.Items, unsuccessfulXML{Error: unsuccessfulErrorXML{code, msg}, ResourceID: rid})
			}
			if !modelled {
				fail("InvalidParameterValue", "Resource "+rid+" does not exist")
				continue
			}
			found, err := tx.Exists(k.ns, key(region, rid))
			if err != nil {
				return err
			}
			if !found || !validID(k.prefix, rid) {
				fail(k.notFound, k.errNotFound(rid).Message)
				continue
			}
			dup := false
			for _, e := range existing {
				dup = dup || (e.ResourceID == rid && e.LogDestinationType == tmpl.LogDestinationType &&
					e.LogDestination == tmpl.LogDestination && e.TrafficType == tmpl.TrafficType)
			}
			if dup {
				fail("FlowLogAlreadyExists", "Error. There is an existing Flow Log with the same configuration and log destination.")
				continue
			}
			f := tmpl
			f.ID, f.ResourceID = newID("fl"), rid
			if err := put(tx, kFlowLog, region, f.ID, &f); err != nil {
				return err
			}
			if err := saveTags(tx, region, f.ID, tags); err != nil {
				return err
			}
			created = append(created, f.ID)
			out.FlowLogIDs.Items = append(out.FlowLogIDs.Items, f.ID)
		}
		if len(created) > 0 {
			return tokenRecord(tx, region, "CreateFlowLogs", token, strings.Join(created, ","))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func destinationOptions(p params) (*destOptionsDoc, error) {
	d := &destOptionsDoc{FileFormat: "plain-text"}
	switch ff := p.str("DestinationOptions.FileFormat"); ff {
	case "", "plain-text", "parquet":
		if ff != "" {
			d.FileFormat = ff
		}
	default:
		return nil, errInvalidValue("fileFormat", ff)
	}
	for _, b := range []struct {
		param string
		field *bool
	}{
		{"DestinationOptions.HiveCompatiblePartitions", &d.HiveCompatiblePartitions},
		{"DestinationOptions.PerHourPartition", &d.PerHourPartition},
	} {
		v, err := p.optBool(b.param)
		if err != nil {
			return nil, err
		}
		if v != nil {
			*b.field = *v
		}
	}
	return d, nil
}

type describeFlowLogsOut struct {
	FlowLogs  set[flowLogXML] `xml:"flowLogSet"`
	NextToken string          `xml:"nextToken,omitempty"`
}

func (s *Service) describeFlowLogs(ctx context.Context, region string, p params) (any, error) {
	fs, err := p.filters()
	if err != nil {
		return nil, err
	}
	if err := checkFilters(fs, "deliver-log-status", "log-destination-type", "flow-log-id", "log-group-name",
		"resource-id", "traffic-type"); err != nil {
		return nil, err
	}
	ids := p.strs("FlowLogId")
	var items []flowLogXML
	err = s.view(ctx, func(tx *state.Tx) error {
		logs, err := all[flowLogDoc](tx, kFlowLog, region)
		if err != nil {
			return err
		}
		for _, fl := range logs {
			// DescribeFlowLogs ignores unknown ids rather than failing.
			if len(ids) > 0 && !contains(ids, fl.ID) {
				continue
			}
			tags, err := loadTags(tx, region, fl.ID)
			if err != nil {
				return err
			}
			f := fields{}
			f.set("deliver-log-status", "SUCCESS")
			f.set("log-destination-type", fl.LogDestinationType)
			f.set("flow-log-id", fl.ID)
			f.set("log-group-name", fl.LogGroupName)
			f.set("resource-id", fl.ResourceID)
			f.set("traffic-type", fl.TrafficType)
			f.tags(tags)
			if f.matches(fs) {
				items = append(items, flowLogXMLOf(fl, tags))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(p, items, func(x flowLogXML) string { return x.FlowLogID }, 1, 1000)
	if err != nil {
		return nil, err
	}
	return describeFlowLogsOut{FlowLogs: set[flowLogXML]{Items: pg}, NextToken: next}, nil
}

type deleteFlowLogsOut struct {
	Unsuccessful set[unsuccessfulXML] `xml:"unsuccessful"`
}

func (s *Service) deleteFlowLogs(ctx context.Context, region string, p params) (any, error) {
	ids := p.strs("FlowLogId")
	if len(ids) == 0 {
		return nil, errMissing("FlowLogId")
	}
	var out deleteFlowLogsOut
	err := s.update(ctx, func(tx *state.Tx) error {
		for _, id := range ids {
			found, err := tx.Exists(kFlowLog.ns, key(region, id))
			if err != nil {
				return err
			}
			if !found {
				out.Unsuccessful.Items = append(out.Unsuccessful.Items, unsuccessfulXML{
					Error: unsuccessfulErrorXML{kFlowLog.notFound, kFlowLog.errNotFound(id).Message}, ResourceID: id})
				continue
			}
			if err := del(tx, kFlowLog, region, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deleteFlowLogsOf removes the flow logs of a resource being deleted.
func deleteFlowLogsOf(tx *state.Tx, region, resourceID string) error {
	logs, err := all[flowLogDoc](tx, kFlowLog, region)
	if err != nil {
		return err
	}
	for _, f := range logs {
		if f.ResourceID == resourceID {
			if err := del(tx, kFlowLog, region, f.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
