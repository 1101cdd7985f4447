//go:build cgo && !noopenblas

package network

// OpenBLAS built with DYNAMIC_ARCH (Debian's is) exports every core's
// kernel and copy routines under the core's name (sgemm_kernel_ZEN, ...);
// dlsym finds the ones for the core OpenBLAS picked at start, so a build
// without them links and runs as before.

/*
#cgo LDFLAGS: -lopenblas -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

char *openblas_get_corename(void);

typedef int (*sgemm_kernel_fn)(long m, long n, long k, float alpha, float *a, float *b, float *c, long ldc);
typedef int (*sgemm_copy_fn)(long m, long n, float *a, long lda, float *b);

static void *find_symbol(const char *name) { return dlsym(RTLD_DEFAULT, name); }

static void run_kernel(void *f, long m, long n, long k, float *a, float *b, float *c, long ldc) {
	((sgemm_kernel_fn)f)(m, n, k, 1.0f, a, b, c, ldc);
}

static void run_copy(void *f, long m, long n, float *a, long lda, float *b) {
	((sgemm_copy_fn)f)(m, n, a, lda, b);
}
*/
import "C"

import (
	"os"
	"strings"
	"unsafe"
)

// loadPanels returns OpenBLAS's kernel and copy routines for the core it
// runs on, or nil where the package cannot repeat its driver: another
// OpenBLAS version, a core whose blocking is not the Haswell/Zen one below,
// OpenBLAS splitting products over threads itself, or ELIGHT_PANELS=0 in
// the environment (for comparison).
func loadPanels() *panelKernel {
	threads := os.Getenv("OPENBLAS_NUM_THREADS") // "" means 1: see blas_openblas.go
	if os.Getenv("ELIGHT_PANELS") == "0" || (threads != "" && threads != "1") ||
		!strings.HasPrefix(blasName(), "OpenBLAS 0.3.21 ") {
		return nil
	}
	core := C.GoString(C.openblas_get_corename())
	// param.h and kernel/setparam-ref.c of 0.3.21 for x86_64: both cores
	// take the 8x4 Haswell kernel with GEMM_P = GEMM_Q = 320;
	// GEMM_R = ((buffer - P*Q*4 aligned) / (Q*4) - 15) &^ 15 is about
	// 104,000 with the default 128 MiB buffer and above 8192 for any
	// buffer of 16 MiB or more, so products of up to 8192 columns (every
	// convolution's, up to 910 input channels of 3x3) fit one block of it.
	suffix := map[string]string{"Haswell": "HASWELL", "Zen": "ZEN"}[core]
	if suffix == "" {
		return nil
	}
	symbols := map[string]unsafe.Pointer{}
	for _, name := range []string{"kernel", "itcopy", "oncopy", "otcopy"} {
		full := C.CString("sgemm_" + name + "_" + suffix)
		symbols[name] = C.find_symbol(full)
		C.free(unsafe.Pointer(full))
		if symbols[name] == nil {
			return nil
		}
	}
	kernel, itcopy, oncopy, otcopy := symbols["kernel"], symbols["itcopy"], symbols["oncopy"], symbols["otcopy"]
	return &panelKernel{
		core: core,
		p:    320, q: 320, r: 8192,
		unrollM: 8, unrollN: 4,
		kernel: func(m, n, k int, sa, sb, c []float32, ldc int) {
			C.run_kernel(kernel, C.long(m), C.long(n), C.long(k),
				(*C.float)(&sa[0]), (*C.float)(&sb[0]), (*C.float)(&c[0]), C.long(ldc))
		},
		packB: func(trans bool, k, n int, b []float32, ldb int, sb []float32) {
			copyB := oncopy
			if trans {
				copyB = otcopy
			}
			C.run_copy(copyB, C.long(k), C.long(n), (*C.float)(&b[0]), C.long(ldb), (*C.float)(&sb[0]))
		},
		packA: func(k, m int, a []float32, lda int, sa []float32) {
			C.run_copy(itcopy, C.long(k), C.long(m), (*C.float)(&a[0]), C.long(lda), (*C.float)(&sa[0]))
		},
	}
}
