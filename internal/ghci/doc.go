// Package ghci is vigil's side of GitHub Actions: it reads the event a
// workflow runs for (GITHUB_EVENT_NAME, the payload at GITHUB_EVENT_PATH and
// the other GITHUB_* variables), decides what vigil ci does for it
// (Classify), writes step outputs (GITHUB_OUTPUT, multiline-safe delimiter
// syntax) and the job summary (GITHUB_STEP_SUMMARY), builds and reads the
// sticky plan comment whose hidden markers carry the reviewed fingerprints,
// and asks GitHub's REST API, with the job's GITHUB_TOKEN, which pull
// request a pushed commit merged, its comments, and who approved a
// deployment; it creates and updates the sticky comment (StickyComment
// picks the bot's earlier one; CheckSection vets a plan job's section
// before it goes in).
//
// It owns no pipeline logic: internal/cli's ci verb calls the pipeline and
// uses this package at the edges. The pure parts (Classify, FormatOutput,
// Comment, ParseComment, FindReviewed, ApproverFor, StickyComment,
// CheckSection) are table-tested; the API client is tested against an
// httptest server.
//
// # Markers
//
// The comment vigil writes on a pull request holds, besides the readable
// reviews, hidden lines:
//
//	<!-- vigil-plan -->
//	<!-- vigil-commit <head sha of the pull request> -->
//	<!-- vigil-fingerprint env=prod run=20260102-150405-ab12cd fingerprint=sha256:… -->
//
// After merge, FindReviewed takes the latest such comment by the
// github-actions bot (a person cannot post as the bot) and accepts it only
// when its commit is the merged pull request's head: a push after the last
// plan was never reviewed.
//
// The token is only ever sent in the Authorization header; no error, log
// line or output of this package contains it.
package ghci
