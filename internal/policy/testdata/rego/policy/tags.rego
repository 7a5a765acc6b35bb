# Every bucket carries an owner and a cost centre; teams are nice to have.
package tags

import rego.v1

required := {"owner", "cost-center"}

deny contains msg if {
	some name
	bucket := input.resource.aws_s3_bucket[name]
	tags := object.get(bucket, "tags", {})
	missing := required - {k | tags[k]}
	count(missing) > 0
	msg := sprintf("aws_s3_bucket.%s is missing required tags %v", [name, sort(missing)])
}

warn contains msg if {
	some name
	bucket := input.resource.aws_s3_bucket[name]
	not bucket.tags.team
	msg := sprintf("aws_s3_bucket.%s has no team tag", [name])
}
