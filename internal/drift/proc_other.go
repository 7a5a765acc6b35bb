//go:build !linux

package drift

import "os/exec"

func setProcAttr(cmd *exec.Cmd) {}
