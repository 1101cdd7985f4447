//go:build !purego

#include "textflag.h"

// Masks of a float64's magnitude and sign bits, four lanes.
DATA magnitudeMask<>+0(SB)/8, $0x7fffffffffffffff
DATA magnitudeMask<>+8(SB)/8, $0x7fffffffffffffff
DATA magnitudeMask<>+16(SB)/8, $0x7fffffffffffffff
DATA magnitudeMask<>+24(SB)/8, $0x7fffffffffffffff
GLOBL magnitudeMask<>(SB), RODATA|NOPTR, $32
DATA signMask<>+0(SB)/8, $0x8000000000000000
DATA signMask<>+8(SB)/8, $0x8000000000000000
DATA signMask<>+16(SB)/8, $0x8000000000000000
DATA signMask<>+24(SB)/8, $0x8000000000000000
GLOBL signMask<>(SB), RODATA|NOPTR, $32

// func gradientsAVX(dw, dalpha []float64, w []float32, c *gradientConstants)
//
// The operations of gradientsScalar, in its order, on four weights at a
// time: IEEE division, multiplication and addition round each lane as the
// scalar instructions do, so the results are the same bits. No fused
// multiply-add. (Go's operand order: VDIVPD b, a, dst is dst = a / b.)
TEXT ·gradientsAVX(SB), NOSPLIT, $0-80
	MOVQ dw_base+0(FP), DI
	MOVQ dalpha_base+24(FP), R8
	MOVQ w_base+48(FP), SI
	MOVQ w_len+56(FP), CX
	MOVQ c+72(FP), AX
	VBROADCASTSD 0(AX), Y8   // alpha
	VBROADCASTSD 8(AX), Y9   // s
	VBROADCASTSD 16(AX), Y10 // ref
	VBROADCASTSD 24(AX), Y11 // -ln beta
	VBROADCASTSD 32(AX), Y12 // L-1
	VMOVUPD magnitudeMask<>(SB), Y13
	VMOVUPD signMask<>(SB), Y14
	SHRQ $2, CX
	JZ   done

loop:
	VCVTPS2PD (SI), Y0  // w
	VDIVPD    Y8, Y0, Y0  // x = w / alpha
	VANDPD    Y13, Y0, Y1 // |x|
	VMULPD    Y9, Y1, Y1  // |x| * s
	VADDPD    Y10, Y1, Y1 // + ref
	VMULPD    Y11, Y1, Y1 // * -ln beta
	VMULPD    Y12, Y1, Y1 // * (L-1)
	VDIVPD    Y1, Y9, Y2  // g = s / that
	VDIVPD    Y8, Y2, Y3  // g / alpha
	VMOVUPD   Y3, (DI)
	VXORPD    Y14, Y2, Y2 // -g
	VMULPD    Y2, Y0, Y2  // x * -g: a NaN x passes its own NaN on
	VDIVPD    Y8, Y2, Y2  // / alpha
	VMOVUPD   Y2, (R8)
	ADDQ      $16, SI
	ADDQ      $32, DI
	ADDQ      $32, R8
	DECQ      CX
	JNZ       loop

done:
	VZEROUPPER
	RET
