// Package e2e holds the sandbox's end-to-end tests with the real Terraform
// AWS provider on whole configurations: the blueprint's dev environment
// layer by layer, and the configurations under examples/ written as users
// write them. Each test applies, checks that an immediate second plan has
// no changes, and destroys, leaving nothing behind.
package e2e
