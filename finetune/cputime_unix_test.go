//go:build unix

package finetune

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system,
// all threads. On a machine shared with other work, the CPU time a step
// takes is steadier than its wall-clock time.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
