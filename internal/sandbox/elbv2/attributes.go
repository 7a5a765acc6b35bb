package elbv2

import (
	"net/url"
	"strconv"
	"strings"
)

// The attribute sets AWS returns for a fresh resource. DescribeXxxAttributes
// answers every key of the set, not only the ones a caller changed: the
// Terraform provider reads them all and would show a perpetual diff if a
// default were missing.

// lbDefaultAttributes is the full attribute set of a new load balancer.
func lbDefaultAttributes(lbType string) map[string]string {
	m := map[string]string{
		"deletion_protection.enabled": "false",
		"access_logs.s3.enabled":      "false",
		"access_logs.s3.bucket":       "",
		"access_logs.s3.prefix":       "",
		"zonal_shift.config.enabled":  "false",
	}
	switch lbType {
	case "application":
		for k, v := range map[string]string{
			"idle_timeout.timeout_seconds":                             "60",
			"client_keep_alive.seconds":                                "3600",
			"routing.http2.enabled":                                    "true",
			"routing.http.desync_mitigation_mode":                      "defensive",
			"routing.http.drop_invalid_header_fields.enabled":          "false",
			"routing.http.preserve_host_header.enabled":                "false",
			"routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
			"routing.http.xff_client_port.enabled":                     "false",
			"routing.http.xff_header_processing.mode":                  "append",
			"waf.fail_open.enabled":                                    "false",
			"load_balancing.cross_zone.enabled":                        "true",
			"connection_logs.s3.enabled":                               "false",
			"connection_logs.s3.bucket":                                "",
			"connection_logs.s3.prefix":                                "",
			"health_check_logs.s3.enabled":                             "false",
			"health_check_logs.s3.bucket":                              "",
			"health_check_logs.s3.prefix":                              "",
		} {
			m[k] = v
		}
	case "network":
		m["load_balancing.cross_zone.enabled"] = "false"
		m["dns_record.client_routing_policy"] = "any_availability_zone"
		m["ipv6.deny_all_igw_traffic"] = "false"
	case "gateway":
		delete(m, "access_logs.s3.enabled")
		delete(m, "access_logs.s3.bucket")
		delete(m, "access_logs.s3.prefix")
		m["load_balancing.cross_zone.enabled"] = "false"
	}
	return m
}

// tgDefaultAttributes is the full attribute set of a new target group.
func tgDefaultAttributes(protocol, targetType string) map[string]string {
	health := map[string]string{
		"target_group_health.dns_failover.minimum_healthy_targets.count":                 "1",
		"target_group_health.dns_failover.minimum_healthy_targets.percentage":            "off",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      "1",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
	}
	var m map[string]string
	switch {
	case targetType == "lambda":
		return map[string]string{"lambda.multi_value_headers.enabled": "false"}
	case protocol == "HTTP" || protocol == "HTTPS":
		m = map[string]string{
			"deregistration_delay.timeout_seconds":        "300",
			"stickiness.enabled":                          "false",
			"stickiness.type":                             "lb_cookie",
			"stickiness.lb_cookie.duration_seconds":       "86400",
			"stickiness.app_cookie.cookie_name":           "",
			"stickiness.app_cookie.duration_seconds":      "86400",
			"slow_start.duration_seconds":                 "0",
			"load_balancing.algorithm.type":               "round_robin",
			"load_balancing.algorithm.anomaly_mitigation": "off",
			"load_balancing.cross_zone.enabled":           "use_load_balancer_configuration",
		}
	case protocol == "GENEVE":
		m = map[string]string{
			"deregistration_delay.timeout_seconds": "300",
			"stickiness.enabled":                   "false",
			"stickiness.type":                      "source_ip_dest_ip_proto",
			"target_failover.on_deregistration":    "no_rebalance",
			"target_failover.on_unhealthy":         "no_rebalance",
		}
	default: // TCP, TLS, UDP, TCP_UDP (network load balancers)
		preserve := "true"
		if targetType == "ip" && (protocol == "TCP" || protocol == "TLS") {
			preserve = "false"
		}
		m = map[string]string{
			"deregistration_delay.timeout_seconds":                         "300",
			"deregistration_delay.connection_termination.enabled":          "false",
			"stickiness.enabled":                                           "false",
			"stickiness.type":                                              "source_ip",
			"proxy_protocol_v2.enabled":                                    "false",
			"preserve_client_ip.enabled":                                   preserve,
			"load_balancing.cross_zone.enabled":                            "use_load_balancer_configuration",
			"target_health_state.unhealthy.connection_termination.enabled": "true",
			"target_health_state.unhealthy.draining_interval_seconds":      "0",
		}
	}
	for k, v := range health {
		m[k] = v
	}
	return m
}

// listenerDefaultAttributes is the attribute set of a new listener.
func listenerDefaultAttributes(protocol string) map[string]string {
	switch protocol {
	case "HTTP", "HTTPS":
		m := map[string]string{
			"routing.http.response.server.enabled":                                "true",
			"routing.http.response.strict_transport_security.header_value":        "",
			"routing.http.response.access_control_allow_origin.header_value":      "",
			"routing.http.response.access_control_allow_methods.header_value":     "",
			"routing.http.response.access_control_allow_headers.header_value":     "",
			"routing.http.response.access_control_allow_credentials.header_value": "",
			"routing.http.response.access_control_expose_headers.header_value":    "",
			"routing.http.response.access_control_max_age.header_value":           "",
			"routing.http.response.content_security_policy.header_value":          "",
			"routing.http.response.x_content_type_options.header_value":           "",
			"routing.http.response.x_frame_options.header_value":                  "",
		}
		if protocol == "HTTPS" {
			for k, v := range map[string]string{
				"routing.http.request.x_amzn_mtls_clientcert_serial_number.header_name": "X-Amzn-Mtls-Clientcert-Serial-Number",
				"routing.http.request.x_amzn_mtls_clientcert_issuer.header_name":        "X-Amzn-Mtls-Clientcert-Issuer",
				"routing.http.request.x_amzn_mtls_clientcert_subject.header_name":       "X-Amzn-Mtls-Clientcert-Subject",
				"routing.http.request.x_amzn_mtls_clientcert_validity.header_name":      "X-Amzn-Mtls-Clientcert-Validity",
				"routing.http.request.x_amzn_mtls_clientcert_leaf.header_name":          "X-Amzn-Mtls-Clientcert-Leaf",
				"routing.http.request.x_amzn_mtls_clientcert.header_name":               "X-Amzn-Mtls-Clientcert",
				"routing.http.request.x_amzn_tls_version.header_name":                   "X-Amzn-Tls-Version",
				"routing.http.request.x_amzn_tls_cipher_suite.header_name":              "X-Amzn-Tls-Cipher-Suite",
			} {
				m[k] = v
			}
		}
		return m
	case "TCP", "GENEVE":
		return map[string]string{"tcp.idle_timeout.seconds": "350"}
	}
	return map[string]string{}
}

// attrPair is one Key/Value of an attribute list.
type attrPair struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func attrList(m map[string]string) xmlList[attrPair] {
	out := make(xmlList[attrPair], 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, attrPair{Key: k, Value: m[k]})
	}
	return out
}

// applyAttributes validates Attributes.member.N against the known keys and
// writes them into a copy of have. noun names the resource in messages
// ("Load balancer", "Target group", "Listener").
func applyAttributes(form url.Values, have map[string]string, noun string) (map[string]string, error) {
	ms := members(form, "Attributes")
	if len(ms) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null")
	}
	out := make(map[string]string, len(have))
	for k, v := range have {
		out[k] = v
	}
	for _, m := range ms {
		k, v := m.Get("Key"), m.Get("Value")
		if _, ok := have[k]; !ok {
			return nil, errValidation("%s attribute key '%s' is not recognized", noun, k)
		}
		if err := checkAttrValue(noun, k, v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// checkAttrValue applies the value rules AWS enforces on common attributes.
func checkAttrValue(noun, k, v string) error {
	bad := func(why string) error {
		return errValidation("%s attribute '%s' value '%s' is not valid: %s", noun, k, v, why)
	}
	switch {
	case strings.HasSuffix(k, ".enabled") && k != "load_balancing.cross_zone.enabled":
		if v != "true" && v != "false" {
			return bad("must be true or false")
		}
	case k == "load_balancing.cross_zone.enabled":
		if v != "true" && v != "false" && v != "use_load_balancer_configuration" {
			return bad("must be true, false or use_load_balancer_configuration")
		}
	case k == "idle_timeout.timeout_seconds":
		return intRange(bad, v, 1, 4000)
	case k == "client_keep_alive.seconds":
		return intRange(bad, v, 60, 604800)
	case k == "deregistration_delay.timeout_seconds":
		return intRange(bad, v, 0, 3600)
	case k == "slow_start.duration_seconds":
		if err := intRange(bad, v, 0, 900); err != nil {
			return err
		}
		if n, _ := strconv.Atoi(v); n > 0 && n < 30 {
			return bad("must be 0 or between 30 and 900")
		}
	case k == "stickiness.lb_cookie.duration_seconds", k == "stickiness.app_cookie.duration_seconds":
		return intRange(bad, v, 1, 604800)
	case k == "tcp.idle_timeout.seconds":
		return intRange(bad, v, 60, 6000)
	case k == "routing.http.desync_mitigation_mode":
		return oneOf(bad, v, "monitor", "defensive", "strictest")
	case k == "routing.http.xff_header_processing.mode":
		return oneOf(bad, v, "append", "preserve", "remove")
	case k == "load_balancing.algorithm.type":
		return oneOf(bad, v, "round_robin", "least_outstanding_requests", "weighted_random")
	case k == "load_balancing.algorithm.anomaly_mitigation":
		return oneOf(bad, v, "on", "off")
	case k == "dns_record.client_routing_policy":
		return oneOf(bad, v, "availability_zone_affinity", "partial_availability_zone_affinity", "any_availability_zone")
	case k == "stickiness.type":
		return oneOf(bad, v, "lb_cookie", "app_cookie", "source_ip", "source_ip_dest_ip", "source_ip_dest_ip_proto")
	}
	return nil
}

func intRange(bad func(string) error, v string, lo, hi int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return bad("must be an integer between " + strconv.Itoa(lo) + " and " + strconv.Itoa(hi))
	}
	return nil
}

func oneOf(bad func(string) error, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return bad("must be one of " + strings.Join(allowed, ", "))
}
