package main

deny[msg] {
	input.resource.aws_s3_bucket[name].acl == "public-read"
	msg = sprintf("bucket `%v` is public", [name])
}
