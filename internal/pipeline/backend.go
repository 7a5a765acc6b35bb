package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/go-version"

	"github.com/vigil-sre/vigil/internal/config"
	"github.com/vigil-sre/vigil/internal/stack"
	"github.com/vigil-sre/vigil/internal/terraform"
)

// BootstrapOutputs are what `vigil bootstrap` made for an environment:
// the state bucket, the lock table and the key encrypting them. Stored in
// .vigil/bootstrap/<env>/outputs.json.
type BootstrapOutputs struct {
	Bucket    string `json:"bucket"`
	LockTable string `json:"lock_table,omitempty"`
	KMSKeyARN string `json:"kms_key_arn,omitempty"`
}

func (p *Pipeline) bootstrapDir(env string) string {
	return filepath.Join(p.cfg.StateDir(), "bootstrap", env)
}

// bootstrapOutputs reads what bootstrap recorded for env, if anything.
func (p *Pipeline) bootstrapOutputs(env string) (*BootstrapOutputs, bool) {
	b, err := os.ReadFile(filepath.Join(p.bootstrapDir(env), "outputs.json"))
	if err != nil {
		return nil, false
	}
	var o BootstrapOutputs
	if json.Unmarshal(b, &o) != nil || o.Bucket == "" {
		return nil, false
	}
	return &o, true
}

// nativeS3Locking is the first release whose S3 backend locks with a lock
// file in the bucket (use_lockfile); older ones need the DynamoDB table.
var nativeS3Locking = version.Must(version.NewVersion("1.10.0"))

// backendConfig derives the S3 backend settings a stack's backend block
// leaves out (a partial configuration such as `backend "s3" {}`): the
// bootstrap bucket, the key <env>/<layer>/terraform.tfstate, the
// environment's region, encryption, and locking (use_lockfile with
// Terraform/OpenTofu 1.10 or later, else the DynamoDB table). Settings the
// block sets literally are left alone; nothing is derived for other
// backends.
//
// It returns KEY=VALUE pairs, in a fixed order; backendOptions turns them
// into init options.
func (p *Pipeline) backendConfig(dir, env, layer string, e config.Environment) []string {
	typ, set := backendAttrs(dir)
	if typ != "s3" {
		return nil
	}
	var opts []string
	add := func(k, v string) {
		if !set[k] && v != "" {
			opts = append(opts, k+"="+v)
		}
	}
	boot, ok := p.bootstrapOutputs(env)
	if ok {
		add("bucket", boot.Bucket)
	}
	add("key", stack.ConventionalKey(env, layer))
	add("region", e.Region)
	add("encrypt", strconv.FormatBool(true))
	if !set["use_lockfile"] && !set["dynamodb_table"] {
		if p.tc != nil && p.tc.Binary() != nil && !p.tc.Binary().Version.LessThan(nativeS3Locking) {
			add("use_lockfile", "true")
		} else if ok && boot.LockTable != "" {
			add("dynamodb_table", boot.LockTable)
		}
	}
	return opts
}

// backendOptions turns KEY=VALUE pairs into -backend-config init options.
func backendOptions(kvs []string) []terraform.InitOption {
	var out []terraform.InitOption
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, terraform.BackendConfig(k, v))
	}
	return out
}
