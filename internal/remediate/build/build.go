package build

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Package is the remediator's main package, relative to the module root.
const Package = "./cmd/vigil-remediator"

// Executable is the name the provided.al2023 runtime runs.
const Executable = "bootstrap"

// epoch is the fixed modification time of the zip entry: the earliest
// time a zip (MS-DOS) timestamp holds.
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Build compiles the remediator of the Go module at srcModuleDir and
// writes the Lambda zip to outZip (its directory is created; an existing
// file is replaced atomically).
func Build(ctx context.Context, srcModuleDir, outZip string) error {
	tmp, err := os.MkdirTemp("", "vigil-remediator-build-")
	if err != nil {
		return fmt.Errorf("build the remediator: %w", err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, Executable)
	cmd := Command(ctx, srcModuleDir, bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build the remediator: go build %s in %s: %w\n%s", Package, srcModuleDir, err, strings.TrimSpace(out.String()))
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("build the remediator: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(outZip), 0o755); err != nil {
		return fmt.Errorf("build the remediator: create the zip's directory: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(outZip), ".remediator-*.zip")
	if err != nil {
		return fmt.Errorf("build the remediator: %w", err)
	}
	defer os.Remove(f.Name())
	if err := WriteZip(f, exe); err != nil {
		f.Close()
		return fmt.Errorf("build the remediator: write %s: %w", outZip, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("build the remediator: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("build the remediator: write %s: %w", outZip, err)
	}
	if err := os.Rename(f.Name(), outZip); err != nil {
		return fmt.Errorf("build the remediator: %w", err)
	}
	return nil
}

// Command is the go build that Build runs, writing the executable to out;
// not started.
func Command(ctx context.Context, srcModuleDir, out string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", out, Package)
	cmd.Dir = srcModuleDir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "GOAMD64=v1", "CGO_ENABLED=0")
	return cmd
}

// WriteZip writes a zip holding exe as the executable bootstrap, with a
// fixed time and mode, so equal executables give equal zips.
func WriteZip(w io.Writer, exe []byte) error {
	zw := zip.NewWriter(w)
	h := &zip.FileHeader{Name: Executable, Method: zip.Deflate, Modified: epoch}
	h.SetMode(0o755)
	fw, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := fw.Write(exe); err != nil {
		return err
	}
	return zw.Close()
}

// SourceCodeHash is what Terraform's filebase64sha256 gives for the file:
// the aws_lambda_function's source_code_hash.
func SourceCodeHash(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}
