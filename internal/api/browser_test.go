package api

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-sre/vigil/internal/testutil"
)

// chromium finds headless Chromium: VIGIL_CHROMIUM, else the usual paths.
// Without one the test skips (fails under CI=true); scripts/test.sh runs
// scripts/install-chromium.sh first.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VIGIL_CHROMIUM"); p != "" {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
		testutil.Need(t, "VIGIL_CHROMIUM="+p+" is not an executable")
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	testutil.Need(t, "no chromium at /usr/bin/chromium (run scripts/install-chromium.sh, or set VIGIL_CHROMIUM)")
	return ""
}

// browser starts headless Chromium for the test and returns a tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestDashboardInBrowser: in headless Chromium, the overview shows every
// environment × layer with its state, the run page shows the masked plan
// review with an Approve button, the drift page shows the findings with
// before → after. Approve is refused anonymously and with a reader token
// (the page says why, nothing is recorded) and works with an approver
// token (recorded and audited under the token's name).
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts chromium and plans with terraform")
	}
	ctx := browser(t)
	w := newPlannedWorld(t)
	opts := w.options()
	opts.PublicRead = true
	opts.Drift = fixtureDrift()
	opts.Canaries = fixtureCanaries()
	srv := server(t, opts)
	base := srv.URL
	rctx := context.Background()

	// Overview.
	run(t, ctx, "overview", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#grid")))
	states := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('td[data-stack]')].map(td => [td.dataset.stack, td.dataset.state]))`)
	want := map[string]string{"prod/base": StateDrifted, "prod/app": StateFailing, "dev/base": StateGreen} // dev: no run, a clean drift check
	for k, v := range want {
		if states[k] != v {
			t.Errorf("overview: %s is %q, want %q (all %v)", k, states[k], v, states)
		}
	}
	if s := text(t, ctx, `td[data-stack="prod/app"]`); !strings.Contains(s, "canary alerting: checkout") || !strings.Contains(s, "waits for approval") {
		t.Errorf("prod/app cell: %q", s)
	}
	if s := text(t, ctx, "#waiting"); !strings.Contains(s, w.run.ID) {
		t.Errorf("waiting list: %q", s)
	}

	// Run page: the masked review and the Approve button.
	runURL := base + "/runs/" + w.run.ID
	run(t, ctx, "run page", chromedp.Navigate(runURL), chromedp.WaitVisible(chromedp.CSS("#approve-button")))
	html := eval[string](t, ctx, `document.documentElement.outerHTML`)
	if strings.Contains(html, secretValue) {
		t.Fatal("the run page shows the secret")
	}
	review := text(t, ctx, `section.stack[data-stack="prod/base"]`)
	for _, s := range []string{"terraform_data.db", "terraform_data.config", "create", "(sensitive"} {
		if !strings.Contains(review, s) {
			t.Errorf("run review lacks %q:\n%s", s, review)
		}
	}
	if s := text(t, ctx, "#approval"); s != "required" {
		t.Errorf("approval: %q", s)
	}

	approve := func(what string) string {
		t.Helper()
		run(t, ctx, what, chromedp.Navigate(runURL), chromedp.WaitVisible(chromedp.CSS("#approve-button")),
			chromedp.SendKeys(chromedp.CSS("#comment"), "looks right"),
			chromedp.Click(chromedp.CSS("#approve-button")),
			chromedp.WaitVisible(chromedp.CSS("#error, #flash")))
		return eval[string](t, ctx, `(document.querySelector('#flash') || document.querySelector('#error')).textContent`)
	}
	approvals := func() int {
		as, err := w.st.ApprovalListByRun(rctx, w.run.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(as)
	}
	login := func(token string) {
		t.Helper()
		run(t, ctx, "sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("#login-button")),
			chromedp.WaitVisible(chromedp.CSS("#grid")))
	}

	if msg := approve("approve anonymously"); !strings.Contains(msg, "Approval refused") || !strings.Contains(msg, "approver role") {
		t.Errorf("anonymous approve: %q", msg)
	}
	if n := approvals(); n != 0 {
		t.Fatalf("anonymous approve recorded %d approvals", n)
	}

	login(readerValue)
	if s := text(t, ctx, "#who"); !strings.Contains(s, "viewer") {
		t.Errorf("signed in as: %q", s)
	}
	if msg := approve("approve as reader"); !strings.Contains(msg, `token "viewer" has the reader role`) {
		t.Errorf("reader approve: %q", msg)
	}
	if n := approvals(); n != 0 {
		t.Fatalf("reader approve recorded %d approvals", n)
	}

	login(approverValue)
	if msg := approve("approve as approver"); !strings.Contains(msg, "Approved by token:alice") {
		t.Fatalf("approver approve: %q", msg)
	}
	as, err := w.st.ApprovalListByRun(rctx, w.run.ID)
	if err != nil || len(as) != 1 || as[0].By != "token:alice" || as[0].Binding != w.run.Binding || as[0].Comment != "looks right" {
		t.Fatalf("approvals: %+v, %v", as, err)
	}
	events, err := w.st.AuditList(rctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Action != "approve" || !strings.Contains(string(last.Detail), "token:alice") {
		t.Fatalf("last audit event: %+v %s", last, last.Detail)
	}
	if s := text(t, ctx, "#approval"); s != "approved by token:alice" {
		t.Errorf("approval after approving: %q", s)
	}

	// Drift page: findings with before → after, masked values, unmanaged.
	run(t, ctx, "drift page", chromedp.Navigate(base+"/drift"), chromedp.WaitVisible(chromedp.CSS(`section.drift-stack[data-stack="prod/base"]`)))
	d := text(t, ctx, `section.drift-stack[data-stack="prod/base"]`)
	for _, s := range []string{"drifted", "terraform_data.config", "input.alarm_threshold", "25", "50", "(sensitive)"} {
		if !strings.Contains(d, s) {
			t.Errorf("drift of prod/base lacks %q:\n%s", s, d)
		}
	}
	if s := text(t, ctx, `section.drift-stack[data-stack="prod/app"]`); !strings.Contains(s, "deleted") || !strings.Contains(s, "terraform_data.app") {
		t.Errorf("drift of prod/app: %q", s)
	}
	if s := text(t, ctx, `section.unmanaged[data-env="prod"]`); !strings.Contains(s, "arn:aws:sns:us-east-1:000000000000:stray") {
		t.Errorf("unmanaged: %q", s)
	}

	// Canaries page: the chart is drawn.
	run(t, ctx, "canaries page", chromedp.Navigate(base+"/canaries"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	points := eval[int](t, ctx, `document.querySelectorAll('svg.chart rect.cell').length`)
	if points != 10 {
		t.Errorf("chart cells: %d, want 10", points)
	}
}

// TestDashboardNeedsSignIn: without public_read, pages send the browser
// to the sign-in page, which brings it back after a valid token.
func TestDashboardNeedsSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts chromium")
	}
	ctx := browser(t)
	st := openStore(t)
	fixtureRuns(t, st)
	srv := server(t, Options{Runs: st})
	run(t, ctx, "runs page", chromedp.Navigate(srv.URL+"/runs/20260102-152000-cccccc"), chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), "wrong-token-0123456789"), chromedp.Click(chromedp.CSS("#login-button")),
		chromedp.WaitVisible(chromedp.CSS("#error")))
	if s := text(t, ctx, "#error"); !strings.Contains(s, "not valid") {
		t.Errorf("bad token: %q", s)
	}
	run(t, ctx, "sign in", chromedp.SendKeys(chromedp.CSS("#token"), readerValue), chromedp.Click(chromedp.CSS("#login-button")),
		chromedp.WaitVisible(chromedp.CSS("#run-id")))
	loc := eval[string](t, ctx, `location.href`)
	if !strings.HasSuffix(loc, "/runs/20260102-152000-cccccc") {
		t.Errorf("after sign-in: %s", loc)
	}
	cookieJS := eval[string](t, ctx, `document.cookie`)
	if strings.Contains(cookieJS, "vigil_session") {
		t.Error("the session cookie is readable from JavaScript")
	}
}
