package tags

import rego.v1

deny contains msg if {
	some name
	bucket := input.resource.aws_s3_bucket[name]
	not bucket.tags["cost-center"]
	msg := sprintf("aws_s3_bucket.%s has no cost-center tag", [name])
}
