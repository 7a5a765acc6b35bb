// Package policytest holds helpers for testing and benchmarking the policy
// gate: a generator of realistic Terraform trees of any size, with a known
// share of mistakes, used by the Go benchmarks and by bench/scan.sh to time
// vigil scan against trivy on the same files.
//
// # Example
//
//	n, err := policytest.GenerateTree(dir, 1000) // 1,000 resources
package policytest
