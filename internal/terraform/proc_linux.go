package terraform

import (
	"os/exec"
	"syscall"
)

// setProcAttr kills terraform when vigil dies and gives it its own process
// group, as terraform-exec does.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
