package review

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden/")

func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/review -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./internal/review -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func realReport(t *testing.T) *Report {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "update.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	masked, _, err := Mask(raw)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Summarize("prod/data", masked)
	if err != nil {
		t.Fatal(err)
	}
	return &Report{RunID: "20260102-150405-ab12cd", Env: "prod", Status: "planned", Target: "sandbox", Commit: "1a2b3c4d5e6f", Author: "ana",
		Fingerprint: Fingerprint([]*StackSummary{sum}), Approval: "required",
		Policy: &PolicyNote{Passed: true, Summary: "2 finding(s), 0 failing the gate"},
		Stacks: []StackReport{
			{Stack: "prod/network", Status: StatusNoChanges, Summary: &StackSummary{Stack: "prod/network", Changes: []Change{}}},
			{Stack: "prod/data", Status: StatusChanges, Summary: sum},
			{Stack: "prod/app", Status: StatusWaiting, Note: "waits on prod/data"},
		},
		Next: "vigil approve 20260102-150405-ab12cd --by NAME, then vigil apply 20260102-150405-ab12cd"}
}

// TestRenderGolden pins the text, Markdown and JSON reviews of a real plan
// (an update, a destroy and a replacement of stateful resources, a
// sensitive value that changes, unmarked secrets).
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	rep := realReport(t)
	var text, summary, js strings.Builder
	if err := WriteText(&text, rep, TextOptions{Attrs: true}); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&summary, rep, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "show.txt", text.String())
	assertGolden(t, "plan.txt", summary.String())
	assertGolden(t, "show.md", Markdown(rep))
	assertGolden(t, "show.json", js.String())
}

func TestSummarizeOrdersDestroysFirst(t *testing.T) {
	t.Parallel()
	rep := realReport(t)
	sum := rep.Stacks[1].Summary
	want := Counts{Change: 3, Destroy: 1, Replace: 1}
	if sum.Counts != want {
		t.Fatalf("counts = %+v, want %+v", sum.Counts, want)
	}
	var order []string
	for _, c := range sum.Changes {
		order = append(order, c.Action+" "+c.Address)
	}
	wantOrder := []string{"delete aws_dynamodb_table.old[0]", "replace aws_s3_bucket.logs", "update aws_sns_topic.pager", "update terraform_data.db", "update terraform_data.leak"}
	if strings.Join(order, "\n") != strings.Join(wantOrder, "\n") {
		t.Errorf("order:\n%s\nwant:\n%s", strings.Join(order, "\n"), strings.Join(wantOrder, "\n"))
	}
	if !sum.Changes[0].Stateful || !sum.Changes[1].Stateful {
		t.Errorf("the table and the bucket are not flagged stateful: %+v", sum.Changes[:2])
	}
	var forces []string
	for _, a := range sum.Changes[1].Attrs {
		if a.ForcesReplacement {
			forces = append(forces, a.Path)
		}
	}
	if strings.Join(forces, ",") != "bucket" {
		t.Errorf("attributes forcing the replacement: %v, want [bucket]", forces)
	}
	var db []string
	for _, a := range sum.Changes[3].Attrs {
		db = append(db, a.Path+": "+a.Before+" -> "+a.After)
	}
	if !strings.Contains(strings.Join(db, "\n"), "input: "+Masked+" -> "+MaskedChanged) {
		t.Errorf("a changed sensitive value does not show as changed: %v", db)
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	a := &StackSummary{Stack: "dev/a", Changes: []Change{
		{Address: "x.two", Action: ActionCreate, Attrs: []Attr{{Path: "id", After: Unknown}, {Path: "name", After: `"b"`}}},
		{Address: "x.one", Action: ActionUpdate, Attrs: []Attr{{Path: "tags.k", Before: `"1"`, After: `"2"`}}},
	}}
	reordered := &StackSummary{Stack: "dev/a", Changes: []Change{a.Changes[1], {Address: "x.two", Action: ActionCreate, Attrs: []Attr{a.Changes[0].Attrs[1], a.Changes[0].Attrs[0]}}}, Counts: Counts{Add: 1, Change: 1}}
	noChanges := &StackSummary{Stack: "dev/b", Changes: []Change{}}
	other := &StackSummary{Stack: "dev/a", Changes: []Change{a.Changes[0], {Address: "x.one", Action: ActionUpdate, Attrs: []Attr{{Path: "tags.k", Before: `"1"`, After: `"3"`}}}}}
	fp := Fingerprint([]*StackSummary{a})
	if !strings.HasPrefix(fp, "sha256:") || len(fp) != 71 {
		t.Fatalf("fingerprint %q", fp)
	}
	if got := Fingerprint([]*StackSummary{noChanges, reordered}); got != fp {
		t.Errorf("reordered changes or a stack without changes changed the fingerprint: %s vs %s", got, fp)
	}
	if got := Fingerprint([]*StackSummary{other}); got == fp {
		t.Error("a different attribute value kept the fingerprint")
	}
	if Fingerprint(nil) != Fingerprint([]*StackSummary{noChanges}) {
		t.Error("no changes at all should have one fingerprint")
	}
}

// TestMarkdownFitsOneComment: a plan far too large for one pull-request
// comment still renders as one, destroys first, pointing at vigil show.
func TestMarkdownFitsOneComment(t *testing.T) {
	t.Parallel()
	var changes []Change
	for i := 0; i < 3000; i++ {
		c := Change{Address: fmt.Sprintf("aws_s3_bucket.b[%d]", i), Type: "aws_s3_bucket", Action: ActionCreate,
			Attrs: []Attr{{Path: "policy", After: strings.Repeat("x", 300)}, {Path: "bucket", After: fmt.Sprintf(`"b-%d"`, i)}}}
		if i%10 == 0 {
			c.Action, c.Stateful = ActionDelete, true
		}
		changes = append(changes, c)
	}
	sum := &StackSummary{Stack: "prod/data", Changes: changes, Counts: Counts{Add: 2700, Destroy: 300}}
	sortChanges(sum.Changes)
	rep := &Report{RunID: "r1", Env: "prod", Status: "planned", Stacks: []StackReport{{Stack: "prod/data", Status: StatusChanges, Summary: sum}}}
	md := Markdown(rep)
	if len(md) > CommentLimit {
		t.Fatalf("markdown is %d characters, over GitHub's %d", len(md), CommentLimit)
	}
	for _, want := range []string{"300 destroy(s) and replacement(s)", "**delete** `aws_s3_bucket.b[0]`", "stateful", "vigil show r1"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	small := &Report{RunID: "r2", Env: "dev", Status: "planned", Stacks: []StackReport{{Stack: "dev/a", Status: StatusChanges, Summary: &StackSummary{Stack: "dev/a", Changes: changes[:3]}}}}
	if md := Markdown(small); !strings.Contains(md, `policy = "`) && !strings.Contains(md, "policy = xxx") {
		if !strings.Contains(md, "policy") {
			t.Errorf("a small plan lost its attribute detail:\n%s", md)
		}
	}
}
