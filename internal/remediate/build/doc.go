// Package build builds the remediator's Lambda zip: cmd/vigil-remediator
// compiled for linux/amd64 (provided.al2023, x86_64) as an executable
// named bootstrap, zipped deterministically, so the same source and Go
// toolchain give a byte-identical zip. Terraform's source_code_hash
// (filebase64sha256 of the zip) is then the same for a plan that was
// reviewed and the apply after it, and does not change when nothing in
// the function did.
//
// It owns the go build invocation and the zip format; it does not decide
// where the zip goes (vigil up writes <repo>/.vigil/build/remediator.zip
// and passes it as the remediation stack's lambda_zip_path).
//
// # Reproducibility
//
// go build runs with GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=0,
// -trimpath (no local paths), -buildvcs=false (no commit or dirty flag:
// an unrelated commit must not change the hash), -ldflags="-s -w" and
// -tags lambda.norpc. The zip holds the one entry bootstrap, mode 0755,
// deflated, with a fixed modification time (1980-01-01, the zip epoch).
// The Go toolchain version is part of the binary: a different toolchain
// gives a different zip.
//
// # Example
//
//	if err := build.Build(ctx, repoRoot, filepath.Join(repoRoot, ".vigil/build/remediator.zip")); err != nil { … }
//	hash, _ := build.SourceCodeHash(zipPath) // what Terraform will compute
//
// scripts/build-remediator.sh OUT.zip runs the same through the small
// main in ./cmd.
package build
