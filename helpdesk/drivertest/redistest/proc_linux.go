//go:build linux

package redistest

import (
	"os/exec"
	"syscall"
)

// setParentDeath makes the kernel kill redis-server when the test binary
// dies, so an interrupted test run leaves no server behind.
func setParentDeath(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
