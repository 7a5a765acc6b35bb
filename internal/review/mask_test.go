package review

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maskDoc masks a plan JSON document given as a Go value.
func maskDoc(t *testing.T, doc string) (map[string]any, string, *Secrets) {
	t.Helper()
	out, sec, err := Mask([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m, string(out), sec
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		// gone must not appear anywhere in the masked document.
		gone []string
		// kept must still appear.
		kept []string
	}{
		{
			name: "sensitive variable value and default",
			doc: `{"format_version":"1.2","variables":{"pw":{"value":"hunter2-hunter2"},"region":{"value":"us-east-1"}},
				"configuration":{"root_module":{"variables":{"pw":{"default":"hunter2-hunter2","sensitive":true},"region":{"default":"us-east-1"}}}}}`,
			gone: []string{"hunter2"},
			kept: []string{"us-east-1"},
		},
		{
			name: "resource change marked sensitive, nested",
			doc: `{"format_version":"1.2","resource_changes":[{"address":"x.y","type":"x","change":{"actions":["update"],
				"before":{"cfg":{"token":"old-value-1234","name":"n"},"list":["a","b"]},
				"after":{"cfg":{"token":"new-value-5678","name":"n"},"list":["a","c"]},
				"before_sensitive":{"cfg":{"token":true},"list":[false,true]},"after_sensitive":{"cfg":{"token":true},"list":[false,true]}}}]}`,
			gone: []string{"old-value-1234", "new-value-5678", `"c"`},
			kept: []string{`"name":"n"`, MaskedChanged},
		},
		{
			name: "secret copied into an unmarked attribute is scrubbed too",
			doc: `{"format_version":"1.2","resource_changes":[{"address":"x.y","type":"x","change":{"actions":["create"],"before":null,
				"after":{"input":"s3cr3t-value-99","echo":"prefix s3cr3t-value-99 suffix"},"before_sensitive":false,"after_sensitive":{"input":true}}}]}`,
			gone: []string{"s3cr3t-value-99"},
			kept: []string{"prefix " + Masked + " suffix"},
		},
		{
			name: "outputs in output_changes, planned_values and prior_state",
			doc: `{"format_version":"1.2",
				"output_changes":{"pw":{"actions":["create"],"before":null,"after":"out-secret-1","before_sensitive":true,"after_sensitive":true}},
				"planned_values":{"outputs":{"pw":{"sensitive":true,"value":"out-secret-1"},"url":{"sensitive":false,"value":"https://example.com"}},
					"root_module":{"resources":[{"address":"a.b","values":{"password":"res-secret-2","name":"keep-me"},"sensitive_values":{"password":true}}],
					"child_modules":[{"resources":[{"address":"module.m.a.b","values":{"k":"child-secret-3"},"sensitive_values":{"k":true}}]}]}},
				"prior_state":{"values":{"outputs":{"pw":{"sensitive":true,"value":"out-secret-0"}},"root_module":{}}}}`,
			gone: []string{"out-secret-1", "res-secret-2", "child-secret-3", "out-secret-0"},
			kept: []string{"https://example.com", "keep-me"},
		},
		{
			name: "child module variable default",
			doc:  `{"format_version":"1.2","configuration":{"root_module":{"module_calls":{"db":{"module":{"variables":{"master":{"default":"child-default-pw","sensitive":true}}}}}}}}`,
			gone: []string{"child-default-pw"},
		},
		{
			name: "unmarked secrets by attribute name",
			doc: `{"format_version":"1.2","resource_changes":[{"address":"x.y","type":"x","change":{"actions":["create"],"before":null,
				"after":{"master_password":"plainpw-1","api_token":"tok-abc-123","secret_arn":"arn:aws:secretsmanager:us-east-1:1:secret:x","password_length":16,"client_secret_name":"keep-name"},
				"before_sensitive":false,"after_sensitive":{}}}],
				"configuration":{"provider_config":{"aws":{"expressions":{"secret_key":{"constant_value":"provider-secret-key"},"region":{"constant_value":"us-east-1"}}}}}}`,
			gone: []string{"plainpw-1", "tok-abc-123", "provider-secret-key"},
			kept: []string{"arn:aws:secretsmanager:us-east-1:1:secret:x", "16", "keep-name", "us-east-1"},
		},
		{
			name: "unmarked secrets by pattern",
			doc: `{"format_version":"1.2","resource_changes":[{"address":"x.y","type":"x","change":{"actions":["create"],"before":null,
				"after":{"note":"key AKIAIOSFODNN7EXAMPLE here","pem":"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
				"blob":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","url":"postgres://app:pa55word@db:5432/app","gh":"ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
				"before_sensitive":false,"after_sensitive":{}}}]}`,
			gone: []string{"AKIAIOSFODNN7EXAMPLE", "MIIEowIBAAKCAQEA", "wJalrXUtnFEMI", "pa55word", "ghp_abcdef"},
			kept: []string{"postgres://app:", "@db:5432/app", "key " + maskedPattern("AWS access key") + " here"},
		},
		{
			name: "identifiers and hashes are not secrets",
			doc: `{"format_version":"1.2","resource_changes":[{"address":"x.y","type":"x","change":{"actions":["create"],"before":null,
				"after":{"arn":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab","source_code_hash":"Qm9vdHN0cmFwSGFzaFZhbHVlMTIzNDU2Nzg5MGFiY2RlZg==",
				"metric":"HTTPCode_Target_5XX_Count","stat":"ECSServiceAverageCPUUtilization","id":"sg-0a1B2c3D4e5F6a7B8","name":"vigil-dev-remediator-alarm-state",
				"etag":"d41d8cd98f00b204e9800998ecf8427e"},"before_sensitive":false,"after_sensitive":{}}}]}`,
			kept: []string{"1234abcd-12ab-34cd-56ef-1234567890ab", "Qm9vdHN0cmFwSGFzaFZhbHVlMTIzNDU2Nzg5MGFiY2RlZg==", "HTTPCode_Target_5XX_Count", "ECSServiceAverageCPUUtilization", "sg-0a1B2c3D4e5F6a7B8", "vigil-dev-remediator-alarm-state", "d41d8cd98f00b204e9800998ecf8427e"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, out, _ := maskDoc(t, tt.doc)
			for _, g := range tt.gone {
				if strings.Contains(out, g) {
					t.Errorf("%q survived masking:\n%s", g, out)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(out, k) && !strings.Contains(out, jsonEscaped(k)) {
					t.Errorf("%q was masked or lost:\n%s", k, out)
				}
			}
		})
	}
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// TestMaskRealPlan masks a plan Terraform made against the sandbox (a
// sensitive variable, a sensitive output, unmarked secrets), then checks
// that the secrets are gone from the plan, its summary and every
// rendering, and that the secrets found scrub Terraform's text output.
func TestMaskRealPlan(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("testdata", "update.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"correct-horse-battery-staple", "AKIAIOSFODNN7EXAMPLE", "plain-token-value-123", "MIIEowIBAAKCAQEA7bq", "wJalrXUtnFEMI"}
	for _, s := range secrets {
		if !strings.Contains(string(raw), s) {
			t.Fatalf("fixture lacks %q", s)
		}
	}
	masked, sec, err := Mask(raw)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Summarize("dev/x", masked)
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{RunID: "r1", Env: "dev", Status: "planned", Stacks: []StackReport{{Stack: "dev/x", Status: StatusChanges, Summary: sum}}}
	var text, js strings.Builder
	if err := WriteText(&text, rep, TextOptions{Attrs: true}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	log := sec.Scrub("apply: input = \"correct-horse-battery-staple-1-rotated\"\n")
	for name, out := range map[string]string{"plan": string(masked), "text": text.String(), "json": js.String(), "markdown": Markdown(rep), "log": log} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output holds %q", name, s)
			}
		}
	}
}

func TestLooksRandom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tok  string
		want bool
	}{
		{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"Zr9Kq2Lm8Xw4Vb7Np1Ty6Hc3Ud5Ej0Gs", true},
		{"ECSServiceAverageCPUUtilization", false},
		{"abcdefghijklmnopqrstuvwxyz", false},
		{"0123456789012345678901234567890123456789", false},
		{"VigilDevRemediatorFunction", false},
	}
	for _, tt := range tests {
		if got := looksRandom(tt.tok); got != tt.want {
			t.Errorf("looksRandom(%q) = %v, want %v", tt.tok, got, tt.want)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	sec := &Secrets{}
	sec.add("hunter2-hunter2")
	sec.add("abc") // too short to replace inside text
	sec.sort()
	got := sec.Scrub("pw=hunter2-hunter2 abc key=AKIAIOSFODNN7EXAMPLE")
	want := "pw=" + Masked + " abc key=" + maskedPattern("AWS access key")
	if got != want {
		t.Errorf("Scrub = %q, want %q", got, want)
	}
	var nilSec *Secrets
	if got := nilSec.Scrub("token ghp_abcdefghijklmnopqrstuvwxyz0123456789"); strings.Contains(got, "ghp_") {
		t.Errorf("nil Secrets did not apply the patterns: %q", got)
	}
}
