package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/vigil-sre/vigil/internal/policy/finding"
	"github.com/vigil-sre/vigil/internal/policy/model"
)

func securityRules() []Rule {
	sec := func(id string, sev finding.Severity, title, why, fix string, reqs []string, check func(*model.View) []Result) Rule {
		return Rule{Rule: finding.Rule{ID: id, Severity: sev, Group: finding.GroupSecurity, Title: title, Why: why, Fix: fix, Requirements: reqs}, Check: check}
	}
	m7 := []string{"M7"}
	return []Rule{
		sec("VGL-S001", finding.SeverityCritical, "Ingress from the internet to an administrative or database port",
			"SSH, RDP and database ports open to 0.0.0.0/0 or ::/0 are scanned and brute-forced within minutes of creation.",
			"Restrict the source to known ranges or a security group, or reach hosts through SSM Session Manager instead of SSH.",
			m7, checkOpenIngressAdmin),
		sec("VGL-S002", finding.SeverityHigh, "Ingress from the internet to all ports",
			"A rule open to the world on every port exposes whatever happens to listen, now and later.",
			"Open only the ports the service serves (80/443 on a load balancer) and keep everything else closed.",
			m7, checkOpenIngressAll),
		sec("VGL-S010", finding.SeverityHigh, "EBS volume not encrypted",
			"Unencrypted volumes and their snapshots expose data to anyone who can copy or share a snapshot.",
			"Set encrypted = true (with kms_key_id for a customer key), or turn on aws_ebs_encryption_by_default for the account.",
			m7, checkEBS),
		sec("VGL-S011", finding.SeverityHigh, "RDS storage not encrypted",
			"Database storage, its backups and snapshots stay readable outside the database; encryption cannot be added later without a restore.",
			"Set storage_encrypted = true (and kms_key_id for a customer key) when the instance or cluster is created.",
			m7, checkRDSEncryption),
		sec("VGL-S012", finding.SeverityMedium, "S3 bucket without a default encryption configuration",
			"S3 applies SSE-S3 by default since 2023, but without an explicit configuration you cannot choose the key, audit its use or revoke access through KMS.",
			"Add aws_s3_bucket_server_side_encryption_configuration with sse_algorithm = \"aws:kms\" and a customer-managed key.",
			m7, checkS3Encryption),
		sec("VGL-S013", finding.SeverityMedium, "SNS topic not encrypted with KMS",
			"Messages (alarm payloads often carry hostnames, account ids and error text) are stored unencrypted at rest.",
			"Set kms_master_key_id to a customer-managed key whose policy lets CloudWatch and EventBridge use it.",
			m7, checkSNS),
		sec("VGL-S014", finding.SeverityHigh, "SQS queue encryption turned off",
			"With sqs_managed_sse_enabled = false and no KMS key, messages are stored unencrypted.",
			"Remove sqs_managed_sse_enabled = false, or set kms_master_key_id.",
			m7, checkSQS),
		sec("VGL-S015", finding.SeverityLow, "DynamoDB table not encrypted with a KMS key",
			"Tables are encrypted with an AWS-owned key you cannot audit, rotate or revoke.",
			"Add server_side_encryption { enabled = true, kms_key_arn = … }.",
			m7, checkDynamoEncryption),
		sec("VGL-S016", finding.SeverityMedium, "CloudWatch log group not encrypted with KMS",
			"Logs carry request data and secrets by accident; without a customer key you cannot restrict or audit who decrypts them.",
			"Set kms_key_id to a KMS key whose policy allows logs.<region>.amazonaws.com.",
			m7, checkLogGroup),
		sec("VGL-S017", finding.SeverityHigh, "State backend not encrypted",
			"Terraform state holds every secret the configuration touches, in plain text (M13).",
			"Set encrypt = true in the backend \"s3\" block (and kms_key_id for a customer key).",
			[]string{"M13"}, checkBackendEncryption),
		sec("VGL-S020", finding.SeverityCritical, "IAM policy allows every action on every resource",
			"Action \"*\" on Resource \"*\" is administrator access: one leaked credential or compromised workload owns the account. trivy no longer checks this (AWS-0057 is deprecated).",
			"List the actions the principal needs, on the resources it needs them for; use AWS managed job-function policies as a starting point.",
			m7, checkIAMStar),
		sec("VGL-S021", finding.SeverityHigh, "IAM policy allows iam:PassRole on every role",
			"PassRole on \"*\" lets the principal hand any role, including an administrator role, to a service it controls: a privilege escalation path.",
			"Limit Resource to the role ARNs the principal must pass, and add a condition on iam:PassedToService.",
			m7, checkPassRole),
		sec("VGL-S030", finding.SeverityCritical, "S3 bucket is public",
			"A public ACL or a bucket policy that allows everyone makes every object readable (or writable) from the internet.",
			"Remove the public ACL or the Principal \"*\" statement; serve public content through CloudFront with origin access control.",
			m7, checkS3Public),
		sec("VGL-S031", finding.SeverityMedium, "S3 bucket without a full public access block",
			"Without all four public access block settings, one mistaken ACL or policy later makes the bucket public.",
			"Add aws_s3_bucket_public_access_block with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true.",
			m7, checkS3PublicAccessBlock),
		sec("VGL-S040", finding.SeverityCritical, "Database publicly accessible",
			"A database with a public address is one weak password away from the internet.",
			"Set publicly_accessible = false and reach it from inside the VPC.",
			m7, checkPublicDB),
		sec("VGL-S050", finding.SeverityMedium, "KMS key without automatic rotation",
			"A key that never rotates keeps encrypting with the same material for years, widening the blast radius of a compromise.",
			"Set enable_key_rotation = true.",
			[]string{"M1", "M7"}, checkKMSRotation),
		sec("VGL-S060", finding.SeverityMedium, "VPC without flow logs",
			"Without flow logs there is no record of who talked to what during an incident (M1 wants them on by default).",
			"Add aws_flow_log for the VPC to an encrypted CloudWatch log group with 90-day retention.",
			[]string{"M1", "M7"}, checkFlowLogs),
		sec("VGL-S070", finding.SeverityCritical, "Static AWS keys in a provider block",
			"Keys in configuration end up in version control, state and logs, and never expire (M12).",
			"Remove access_key/secret_key; use the standard credential chain locally and OIDC role assumption in CI.",
			[]string{"M12"}, checkProviderKeys),
		sec("VGL-S071", finding.SeverityHigh, "CI workflow uses static AWS keys",
			"Long-lived keys stored as CI secrets leak through logs, forks and third-party actions, and must be rotated by hand (M12).",
			"Use aws-actions/configure-aws-credentials with role-to-assume and permissions: id-token: write (GitHub OIDC); delete the stored keys.",
			[]string{"M12"}, checkWorkflowKeys),
	}
}

var worldCIDRs = map[string]bool{"0.0.0.0/0": true, "::/0": true}

var adminPorts = []struct {
	port int
	name string
}{
	{22, "SSH"}, {23, "Telnet"}, {3389, "RDP"}, {5900, "VNC"}, {5985, "WinRM"}, {5986, "WinRM"},
	{3306, "MySQL"}, {5432, "PostgreSQL"}, {1433, "SQL Server"}, {1521, "Oracle"},
	{6379, "Redis"}, {11211, "Memcached"}, {27017, "MongoDB"}, {9200, "Elasticsearch"},
}

// ingressRule is one ingress permission, from any of the three resource
// shapes.
type ingressRule struct {
	res      *model.Resource
	world    []*model.Attribute // the attributes holding a world CIDR
	cidr     string
	protocol *model.Attribute
	from, to *model.Attribute
}

func openIngress(v *model.View) []ingressRule {
	var out []ingressRule
	worldIn := func(attrs ...*model.Attribute) (hit []*model.Attribute, cidr string) {
		for _, a := range attrs {
			vals, _ := a.Strings()
			for _, s := range vals {
				if worldCIDRs[s] {
					hit = append(hit, a)
					cidr = s
					break
				}
			}
		}
		return hit, cidr
	}
	for _, r := range v.OfType("aws_security_group") {
		for _, b := range r.Blocks("ingress") {
			if hit, cidr := worldIn(b.Attr("cidr_blocks"), b.Attr("ipv6_cidr_blocks")); len(hit) > 0 {
				out = append(out, ingressRule{r, hit, cidr, b.Attr("protocol"), b.Attr("from_port"), b.Attr("to_port")})
			}
		}
	}
	for _, r := range v.OfType("aws_security_group_rule") {
		if t, ok := r.Attr("type").Str(); !ok || t != "ingress" {
			continue
		}
		if hit, cidr := worldIn(r.Attr("cidr_blocks"), r.Attr("ipv6_cidr_blocks")); len(hit) > 0 {
			out = append(out, ingressRule{r, hit, cidr, r.Attr("protocol"), r.Attr("from_port"), r.Attr("to_port")})
		}
	}
	for _, r := range v.OfType("aws_vpc_security_group_ingress_rule") {
		if hit, cidr := worldIn(r.Attr("cidr_ipv4"), r.Attr("cidr_ipv6")); len(hit) > 0 {
			out = append(out, ingressRule{r, hit, cidr, r.Attr("ip_protocol"), r.Attr("from_port"), r.Attr("to_port")})
		}
	}
	return out
}

// portSpan returns the port range; all is set when every port is open;
// ok is false when it cannot be told statically.
func (ir ingressRule) portSpan() (from, to int, all, ok bool) {
	proto, pok := ir.protocol.Str()
	if pok {
		switch strings.ToLower(proto) {
		case "-1", "all":
			return 0, 65535, true, true
		case "icmp", "icmpv6", "1", "58":
			return 0, 0, false, false
		}
	}
	f, fok := ir.from.Number()
	t, tok := ir.to.Number()
	if !fok || !tok {
		return 0, 0, false, false
	}
	from, to = int(f), int(t)
	if from <= 1 && to >= 65535 {
		return from, to, true, true
	}
	return from, to, false, true
}

func checkOpenIngressAdmin(v *model.View) []Result {
	var out []Result
	for _, ir := range openIngress(v) {
		from, to, all, ok := ir.portSpan()
		if !ok || all {
			continue
		}
		var names []string
		for _, p := range adminPorts {
			if p.port >= from && p.port <= to {
				names = append(names, fmt.Sprintf("%d (%s)", p.port, p.name))
			}
		}
		if len(names) == 0 {
			continue
		}
		out = append(out, at(ir.res, ir.world[0].Range, "ingress from %s to port %s", ir.cidr, strings.Join(names, ", ")))
	}
	return out
}

func checkOpenIngressAll(v *model.View) []Result {
	var out []Result
	for _, ir := range openIngress(v) {
		if _, _, all, ok := ir.portSpan(); ok && all {
			out = append(out, at(ir.res, ir.world[0].Range, "ingress from %s on all ports", ir.cidr))
		}
	}
	return out
}

func checkEBS(v *model.View) []Result {
	for _, d := range v.OfType("aws_ebs_encryption_by_default") {
		if a := d.Attr("enabled"); a.Absent() || a.True() {
			return nil // every new volume in the account is encrypted
		}
	}
	var out []Result
	notEncrypted := func(r *model.Resource, b *model.Block, what string) {
		a := b.Attr("encrypted")
		if a.True() || a.Unknown() {
			return
		}
		if a.Absent() && b.Attr("snapshot_id").Present() {
			return // follows the snapshot's encryption
		}
		out = append(out, at(r, attrOrBlock(b, "encrypted"), "%s is not encrypted", what))
	}
	for _, r := range v.OfType("aws_ebs_volume") {
		notEncrypted(r, r.Block, "volume")
	}
	for _, r := range v.OfType("aws_instance") {
		if rb := r.Block.Block("root_block_device"); rb != nil {
			notEncrypted(r, rb, "root block device")
		} else if !r.FromPlan {
			out = append(out, at(r, r.DefRange, "root block device is not encrypted (no root_block_device with encrypted = true)"))
		}
		for _, eb := range r.Blocks("ebs_block_device") {
			notEncrypted(r, eb, "EBS block device")
		}
	}
	for _, r := range v.OfType("aws_launch_template") {
		for _, bdm := range r.Blocks("block_device_mappings") {
			if eb := bdm.Block("ebs"); eb != nil {
				notEncrypted(r, eb, "launch template EBS volume")
			}
		}
	}
	return out
}

func checkRDSEncryption(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster") {
		if r.Attr("replicate_source_db").Present() || r.Attr("snapshot_identifier").Present() || r.Attr("replication_source_identifier").Present() {
			continue
		}
		if mode, ok := r.Attr("engine_mode").Str(); ok && mode == "serverless" {
			continue // Aurora Serverless v1 is always encrypted
		}
		a := r.Attr("storage_encrypted")
		if a.True() || a.Unknown() {
			continue
		}
		out = append(out, at(r, attrOrBlock(r.Block, "storage_encrypted"), "storage_encrypted is not true"))
	}
	return out
}

// bucketCovered reports whether some resource of typ points its bucket
// attribute at the bucket; opaque is set when one points somewhere the
// model cannot follow.
func bucketCovered(v *model.View, bucket *model.Resource, typ string) (covered *model.Resource, opaque bool) {
	for _, c := range v.OfType(typ) {
		a := c.Attr("bucket")
		if model.Refers(a, bucket) {
			return c, false
		}
		if model.Opaque(a) {
			opaque = true
		}
	}
	return nil, opaque
}

func checkS3Encryption(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_s3_bucket") {
		if r.Block.Block("server_side_encryption_configuration") != nil {
			continue
		}
		if c, opaque := bucketCovered(v, r, "aws_s3_bucket_server_side_encryption_configuration"); c != nil || opaque {
			continue
		}
		out = append(out, at(r, r.DefRange, "no server-side encryption configuration"))
	}
	return out
}

func checkSNS(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_sns_topic") {
		if r.Attr("kms_master_key_id").Absent() {
			out = append(out, at(r, r.DefRange, "kms_master_key_id is not set"))
		}
	}
	return out
}

func checkSQS(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_sqs_queue") {
		if r.Attr("sqs_managed_sse_enabled").False() && r.Attr("kms_master_key_id").Absent() {
			out = append(out, at(r, r.Attr("sqs_managed_sse_enabled").Range, "encryption is turned off (sqs_managed_sse_enabled = false, no kms_master_key_id)"))
		}
	}
	return out
}

func checkDynamoEncryption(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_dynamodb_table") {
		sse := r.Block.Block("server_side_encryption")
		if sse == nil {
			out = append(out, at(r, r.DefRange, "no server_side_encryption block: encrypted with an AWS-owned key"))
			continue
		}
		if a := sse.Attr("enabled"); a.False() || a.Absent() {
			out = append(out, at(r, attrOrBlock(sse, "enabled"), "server_side_encryption is not enabled"))
		}
	}
	return out
}

func checkLogGroup(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_cloudwatch_log_group") {
		if r.Attr("kms_key_id").Absent() {
			out = append(out, at(r, attrOrBlock(r.Block, "kms_key_id"), "kms_key_id is not set"))
		}
	}
	return out
}

// s3Backends returns the backend "s3" blocks configured in the source (or a
// .tfbackend file); a block without a bucket is a partial configuration
// completed at init time, which vigil cannot see.
func s3Backends(v *model.View) []*model.Block {
	var out []*model.Block
	for _, b := range v.Backends {
		if len(b.Labels) == 1 && b.Labels[0] == "s3" && b.Attr("bucket").Present() {
			out = append(out, b)
		}
	}
	return out
}

func backendResult(rng finding.Range, msg string) Result {
	return Result{Range: rng, Message: "backend \"s3\": " + msg}
}

func checkBackendEncryption(v *model.View) []Result {
	var out []Result
	for _, b := range s3Backends(v) {
		a := b.Attr("encrypt")
		if a.True() || a.Unknown() {
			continue
		}
		out = append(out, backendResult(attrOrBlock(b, "encrypt"), "encrypt is not true"))
	}
	return out
}

// identityPolicies returns every IAM identity policy document in the view
// with the resource it belongs to.
func identityPolicies(v *model.View) []struct {
	res *model.Resource
	doc *model.PolicyDocument
} {
	type pd = struct {
		res *model.Resource
		doc *model.PolicyDocument
	}
	var out []pd
	for _, r := range v.OfType("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy") {
		if d := r.Attr("policy").PolicyDocument(); d != nil {
			out = append(out, pd{r, d})
		}
	}
	for _, r := range v.OfType("aws_iam_role") {
		for _, ib := range r.Blocks("inline_policy") {
			if d := ib.Attr("policy").PolicyDocument(); d != nil {
				out = append(out, pd{r, d})
			}
		}
	}
	for _, r := range v.DataOfType("aws_iam_policy_document") {
		if r.FromPlan {
			continue // its json is read through the policies that use it
		}
		out = append(out, pd{r, model.DataPolicyDocument(r.Block)})
	}
	return out
}

func isStar(s string) bool { return s == "*" || s == "*:*" }

func checkIAMStar(v *model.View) []Result {
	var out []Result
	for _, p := range identityPolicies(v) {
		for _, s := range p.doc.Statements {
			if s.Effect != "Allow" {
				continue
			}
			if s.Action.Any(isStar) && s.Resource.Any(isStar) {
				out = append(out, at(p.res, s.Action.Range, "statement allows Action \"*\" on Resource \"*\""))
			}
		}
	}
	return out
}

var passRole = regexp.MustCompile(`(?i)^iam:(\*|pass\*|passrole\*?|p\*|pa\*|pas\*)$`)

func checkPassRole(v *model.View) []Result {
	var out []Result
	for _, p := range identityPolicies(v) {
		for _, s := range p.doc.Statements {
			if s.Effect != "Allow" || s.Action.Any(isStar) {
				continue
			}
			if s.Action.Any(passRole.MatchString) && s.Resource.Any(isStar) {
				out = append(out, at(p.res, s.Action.Range, "statement allows iam:PassRole on Resource \"*\""))
			}
		}
	}
	return out
}

var publicACLs = map[string]bool{"public-read": true, "public-read-write": true, "authenticated-read": true}

func checkS3Public(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_s3_bucket", "aws_s3_bucket_acl") {
		if acl, ok := r.Attr("acl").Str(); ok && publicACLs[acl] {
			out = append(out, at(r, r.Attr("acl").Range, "ACL %q makes objects readable by everyone", acl))
		}
	}
	for _, r := range v.OfType("aws_s3_bucket_policy", "aws_s3_bucket") {
		doc := r.Attr("policy").PolicyDocument()
		if doc == nil {
			continue
		}
		for _, s := range doc.Statements {
			if s.Effect == "Allow" && s.PrincipalAll && !s.Condition {
				out = append(out, at(r, s.Range, "bucket policy allows Principal \"*\" without a condition"))
			}
		}
	}
	return out
}

var pabFlags = []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"}

func checkS3PublicAccessBlock(v *model.View) []Result {
	var out []Result
	for _, a := range v.OfType("aws_s3_account_public_access_block") {
		full := true
		for _, f := range pabFlags {
			if at := a.Attr(f); !(at.True() || at.Unknown()) {
				full = false
			}
		}
		if full {
			return nil
		}
	}
	for _, r := range v.OfType("aws_s3_bucket") {
		pab, opaque := bucketCovered(v, r, "aws_s3_bucket_public_access_block")
		if pab == nil {
			if !opaque {
				out = append(out, at(r, r.DefRange, "no aws_s3_bucket_public_access_block for this bucket"))
			}
			continue
		}
		var off []string
		rng := pab.DefRange
		for _, f := range pabFlags {
			a := pab.Attr(f)
			if a.True() || a.Unknown() {
				continue
			}
			if len(off) == 0 && a != nil {
				rng = a.Range
			}
			off = append(off, f)
		}
		if len(off) > 0 {
			out = append(out, Result{Range: rng, Resource: pab.Address(), Message: fmt.Sprintf("%s: %s not true for %s", pab.Address(), strings.Join(off, ", "), r.Address())})
		}
	}
	return out
}

func checkPublicDB(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_db_instance", "aws_rds_cluster_instance", "aws_redshift_cluster", "aws_dms_replication_instance") {
		if a := r.Attr("publicly_accessible"); a.True() {
			out = append(out, at(r, a.Range, "publicly_accessible = true"))
		}
	}
	return out
}

func checkKMSRotation(v *model.View) []Result {
	var out []Result
	for _, r := range v.OfType("aws_kms_key") {
		if spec, ok := r.Attr("customer_master_key_spec").Str(); ok && spec != "SYMMETRIC_DEFAULT" {
			continue // rotation is only supported for symmetric encryption keys
		}
		if use, ok := r.Attr("key_usage").Str(); ok && use != "ENCRYPT_DECRYPT" {
			continue
		}
		a := r.Attr("enable_key_rotation")
		if a.True() || a.Unknown() {
			continue
		}
		out = append(out, at(r, attrOrBlock(r.Block, "enable_key_rotation"), "enable_key_rotation is not true"))
	}
	return out
}

func checkFlowLogs(v *model.View) []Result {
	logs := v.OfType("aws_flow_log")
	for _, l := range logs {
		if model.Opaque(l.Attr("vpc_id")) {
			return nil // a flow log for a VPC passed in from elsewhere: cannot tell which
		}
	}
	var out []Result
	for _, r := range v.OfType("aws_vpc") {
		covered := false
		for _, l := range logs {
			if model.Refers(l.Attr("vpc_id"), r) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, at(r, r.DefRange, "no aws_flow_log for this VPC"))
		}
	}
	return out
}

func checkProviderKeys(v *model.View) []Result {
	var out []Result
	for _, p := range v.Providers {
		if len(p.Labels) != 1 || p.Labels[0] != "aws" {
			continue
		}
		for _, k := range []string{"access_key", "secret_key"} {
			a := p.Attr(k)
			if a.Absent() {
				continue
			}
			res := Result{Range: a.Range, Message: fmt.Sprintf("provider \"aws\": %s is set", k)}
			if a.Known() && len(a.Refs) == 0 {
				res.Message += " to a literal value"
			} else {
				res.Message += fmt.Sprintf(" (from %s): keys passed in are still long-lived keys", a.Source())
				res.Severity = finding.SeverityHigh
			}
			out = append(out, res)
		}
	}
	return out
}

var awsKeyID = regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)

func checkWorkflowKeys(v *model.View) []Result {
	var out []Result
	for _, w := range v.Workflows {
		for _, st := range w.Steps {
			if !strings.Contains(st.Uses, "aws-actions/configure-aws-credentials") {
				continue
			}
			_, role := st.With["role-to-assume"]
			for _, k := range []string{"aws-access-key-id", "aws-secret-access-key"} {
				s, ok := st.With[k]
				if !ok {
					continue
				}
				msg := fmt.Sprintf("job %s: configure-aws-credentials is given %s", st.Job, k)
				if !role {
					msg += " and no role-to-assume"
				} else {
					msg += " (role-to-assume is chained from a stored key)"
				}
				out = append(out, Result{Range: s.Range, Message: msg})
				break
			}
		}
		for _, e := range w.Env {
			if e.Name == "AWS_ACCESS_KEY_ID" || e.Name == "AWS_SECRET_ACCESS_KEY" {
				out = append(out, Result{Range: e.Value.Range, Message: fmt.Sprintf("%s env sets %s", e.Scope, e.Name)})
			}
		}
		for _, loc := range awsKeyID.FindAllIndex(w.Src, -1) {
			out = append(out, Result{
				Range:    offsetRange(w.Path, w.Src, loc[0], loc[1]),
				Message:  "a literal AWS access key id is committed in the workflow",
				Severity: finding.SeverityCritical,
			})
		}
	}
	return out
}

func offsetRange(path string, src []byte, start, end int) finding.Range {
	line, col := 1, 1
	for i := 0; i < start && i < len(src); i++ {
		if src[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return finding.Range{Filename: path, Start: finding.Pos{Line: line, Column: col}, End: finding.Pos{Line: line, Column: col + end - start}}
}
