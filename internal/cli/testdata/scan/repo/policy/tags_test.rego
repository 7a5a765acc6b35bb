package tags_test

import data.tags
import rego.v1

test_untagged_bucket_denied if {
	count(tags.deny) == 1 with input as {"resource": {"aws_s3_bucket": {"b": {"tags": {}}}}}
}

test_tagged_bucket_passes if {
	count(tags.deny) == 0 with input as {"resource": {"aws_s3_bucket": {"b": {"tags": {"cost-center": "42"}}}}}
}
