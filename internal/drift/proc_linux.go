package drift

import (
	"os/exec"
	"syscall"
)

// setProcAttr kills terraform when vigil dies and gives it its own process
// group, as package terraform does for the commands it starts.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
