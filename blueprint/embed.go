// Package blueprint holds vigil's reference repository: the four-layer Terraform modules, the
// live/<env>/<layer> stacks, the state bootstrap, the runbooks and the project's vigil.hcl.
// It is itself a complete vigil repository (`vigil -C blueprint check`), with its GitHub
// workflows and CODEOWNERS, and `vigil init` copies FS into a new one.
//
// Only source files are embedded, by explicit pattern: no .terraform folders, state files, lock
// files, plans or build artefacts (remediator.zip), even when a local run left them behind.
package blueprint

import "embed"

// FS is the blueprint tree, rooted at this folder (paths like "modules/network/main.tf").
//
//go:embed vigil.hcl README.md .gitignore
//go:embed modules/*/README.md modules/*/*.tf modules/*/tests/*.tftest.hcl
//go:embed live/*/*/*.tf
//go:embed bootstrap/*/*.tf
//go:embed runbooks/*.md
//go:embed .github/workflows/*.yml .github/actions/*/action.yml CODEOWNERS
var FS embed.FS
