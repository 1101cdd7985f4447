//go:build !unix

package finetune

import "time"

// processCPU has no portable implementation here; benchmarks then report
// wall-clock time alone.
func processCPU() (time.Duration, bool) { return 0, false }
