package plan

import rego.v1

deny contains {"msg": msg, "resource": rc.address, "severity": "critical"} if {
	some rc in input.resource_changes
	rc.type == "aws_security_group_rule"
	"0.0.0.0/0" in rc.change.after.cidr_blocks
	msg := sprintf("%s opens port %v to the world (plan)", [rc.address, rc.change.after.from_port])
}
