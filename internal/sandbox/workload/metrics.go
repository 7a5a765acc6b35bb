package workload

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vigil-sre/vigil/internal/sandbox/cloudwatch"
	"github.com/vigil-sre/vigil/internal/sandbox/elbv2"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// Metric namespaces.
const (
	NamespaceALB = "AWS/ApplicationELB"
	NamespaceECS = "AWS/ECS"
)

// seriesKey names one published series: a region, namespace and metric
// with its dimensions (sorted name=value pairs).
type seriesKey struct {
	region, ns, name, unit string
	dims                   [3][2]string
}

func dims(pairs ...string) [3][2]string {
	var d [3][2]string
	for i := 0; i+1 < len(pairs) && i/2 < 3; i += 2 {
		d[i/2] = [2]string{pairs[i], pairs[i+1]}
	}
	return d
}

// series is the samples of a series in one minute: value → count.
type series map[float64]float64

// minuteMetrics accumulates the metrics of each minute until it is
// written.
type minuteMetrics struct {
	data map[time.Time]map[seriesKey]series
}

func newMinuteMetrics() *minuteMetrics {
	return &minuteMetrics{data: map[time.Time]map[seriesKey]series{}}
}

func (m *minuteMetrics) add(at time.Time, k seriesKey, v, n float64) {
	minute := at.UTC().Truncate(time.Minute)
	byKey := m.data[minute]
	if byKey == nil {
		byKey = map[seriesKey]series{}
		m.data[minute] = byKey
	}
	s := byKey[k]
	if s == nil {
		s = series{}
		byKey[k] = s
	}
	s[v] += n
}

func regionOfARN(a string) string {
	// arn:aws:elasticloadbalancing:REGION:…
	n := 0
	start := 0
	for i := 0; i < len(a); i++ {
		if a[i] == ':' {
			n++
			if n == 3 {
				start = i + 1
			} else if n == 4 {
				return a[start:i]
			}
		}
	}
	return ""
}

// record counts one request a load balancer served.
func (s *Sim) record(at time.Time, lb *elbv2.LoadBalancer, out outcome) {
	region := regionOfARN(lb.ARN)
	lbDims := []string{"LoadBalancer", lb.Dimension}
	var tgDims []string
	if out.TG != "" {
		tgDims = []string{"LoadBalancer", lb.Dimension, "TargetGroup", elbv2.ARNSuffix(out.TG)}
	}
	count := func(name string, d []string) {
		if d != nil {
			s.m.add(at, seriesKey{region: region, ns: NamespaceALB, name: name, unit: "Count", dims: dims(d...)}, 1, 1)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordApp(at, out) // the task's own metrics (appmetrics.go)
	count("RequestCount", lbDims)
	count("RequestCount", tgDims)
	class := map[int]string{2: "2XX", 3: "3XX", 4: "4XX", 5: "5XX"}[out.Status/100]
	if class == "" {
		return
	}
	if out.Target {
		count("HTTPCode_Target_"+class+"_Count", lbDims)
		count("HTTPCode_Target_"+class+"_Count", tgDims)
		rt := math.Round(out.Latency.Seconds()*1000) / 1000
		s.m.add(at, seriesKey{region: region, ns: NamespaceALB, name: "TargetResponseTime", unit: "Seconds", dims: dims(lbDims...)}, rt, 1)
		s.m.add(at, seriesKey{region: region, ns: NamespaceALB, name: "TargetResponseTime", unit: "Seconds", dims: dims(tgDims...)}, rt, 1)
		return
	}
	count("HTTPCode_ELB_"+class+"_Count", lbDims)
	if out.Status == 502 || out.Status == 503 || out.Status == 504 {
		count("HTTPCode_ELB_"+itoa(out.Status)+"_Count", lbDims)
	}
}

func itoa(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

// sampleHosts samples the healthy and unhealthy target counts of every
// target group a load balancer uses.
func (s *Sim) sampleHosts(w *world) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, arn := range w.tgOrder {
		tg := w.tgs[arn]
		healthy, unhealthy := 0, 0
		for _, t := range tg.Targets {
			switch t.State {
			case "healthy":
				if !w.impaired[t.AZ] {
					healthy++
				} else {
					unhealthy++
				}
			case "unhealthy":
				unhealthy++
			}
		}
		region := regionOfARN(arn)
		for _, lbARN := range tg.LoadBalancerARNs {
			if !strings.HasPrefix(elbv2.ARNSuffix(lbARN), "app/") {
				continue // network and gateway load balancers publish elsewhere
			}
			d := dims("LoadBalancer", elbv2.ARNSuffix(lbARN), "TargetGroup", elbv2.ARNSuffix(arn))
			s.m.add(w.now, seriesKey{region: region, ns: NamespaceALB, name: "HealthyHostCount", unit: "Count", dims: d}, float64(healthy), 1)
			s.m.add(w.now, seriesKey{region: region, ns: NamespaceALB, name: "UnHealthyHostCount", unit: "Count", dims: d}, float64(unhealthy), 1)
		}
	}
}

// sampleCPU samples every service's CPU and memory utilisation.
func (s *Sim) sampleCPU(w *world, set Settings) {
	running := map[[3]string]int{}
	for _, t := range w.tasks {
		if t.LastStatus == "RUNNING" && t.Service != "" {
			running[[3]string{t.Region, t.Cluster, t.Service}]++
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, svc := range w.services {
		n := running[[3]string{svc.Region, svc.Cluster, svc.Name}]
		if n == 0 {
			continue // no task, no datapoint (as on AWS)
		}
		cpu := math.Round(CPU(demand(w, svc, set.BaseCPUPercent), n)*100) / 100
		d := dims("ClusterName", svc.Cluster, "ServiceName", svc.Name)
		s.m.add(w.now, seriesKey{region: svc.Region, ns: NamespaceECS, name: "CPUUtilization", unit: "Percent", dims: d}, cpu, 1)
		s.m.add(w.now, seriesKey{region: svc.Region, ns: NamespaceECS, name: "MemoryUtilization", unit: "Percent", dims: d}, math.Round(Memory(cpu)*100)/100, 1)
	}
}

// flush writes every accumulated minute to CloudWatch, timestamped at the
// start of its minute.
func (s *Sim) flush(tx *state.Tx, now time.Time) error {
	s.mu.Lock()
	data := s.m.data
	s.m.data = map[time.Time]map[seriesKey]series{}
	s.mu.Unlock()
	byRegion := map[string][]cloudwatch.Sample{}
	minutes := make([]time.Time, 0, len(data))
	for m := range data {
		minutes = append(minutes, m)
	}
	sort.Slice(minutes, func(i, j int) bool { return minutes[i].Before(minutes[j]) })
	for _, minute := range minutes {
		for k, ser := range data[minute] {
			var ds []cloudwatch.Dimension
			for _, d := range k.dims {
				if d[0] != "" {
					ds = append(ds, cloudwatch.Dimension{Name: d[0], Value: d[1]})
				}
			}
			if k.unit == "Count" && k.name != "HealthyHostCount" && k.name != "UnHealthyHostCount" {
				// A count is one datum: its sum.
				var sum float64
				for v, n := range ser {
					sum += v * n
				}
				byRegion[k.region] = append(byRegion[k.region], cloudwatch.Sample{Namespace: k.ns, MetricName: k.name,
					Dimensions: ds, Timestamp: minute, Value: sum, Unit: k.unit})
				continue
			}
			vals := make([]float64, 0, len(ser))
			for v := range ser {
				vals = append(vals, v)
			}
			sort.Float64s(vals)
			for _, v := range vals {
				byRegion[k.region] = append(byRegion[k.region], cloudwatch.Sample{Namespace: k.ns, MetricName: k.name,
					Dimensions: ds, Timestamp: minute, Value: v, Count: ser[v], Unit: k.unit})
			}
		}
	}
	for region, samples := range byRegion {
		if err := cloudwatch.PutSamples(tx, region, samples); err != nil {
			return err
		}
	}
	return nil
}
