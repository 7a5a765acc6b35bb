// Package testutil holds test helpers shared across vigil packages: finding
// the terraform binary and a provider mirror for end-to-end tests, which skip
// with a reason when those are missing, except under CI=true where they fail.
package testutil
