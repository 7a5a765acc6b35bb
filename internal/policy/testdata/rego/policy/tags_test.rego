package tags_test

import data.tags
import rego.v1

test_missing_cost_center_denied if {
	count(tags.deny) == 1 with input as {"resource": {"aws_s3_bucket": {"b": {"tags": {"owner": "sre"}}}}}
}

test_all_tags_pass if {
	count(tags.deny) == 0 with input as {"resource": {"aws_s3_bucket": {"b": {"tags": {"owner": "sre", "cost-center": "42"}}}}}
}

test_no_team_warns if {
	count(tags.warn) == 1 with input as {"resource": {"aws_s3_bucket": {"b": {"tags": {"owner": "sre", "cost-center": "42"}}}}}
}
