//go:build !purego

#include "textflag.h"

DATA signMask<>+0(SB)/8, $0x8000000000000000
DATA signMask<>+8(SB)/8, $0x8000000000000000
DATA signMask<>+16(SB)/8, $0x8000000000000000
DATA signMask<>+24(SB)/8, $0x8000000000000000
GLOBL signMask<>(SB), RODATA|NOPTR, $32

// The loops of addPowersScalar and cellGradientsScalar on four levels at a
// time, operation for operation and operand for operand: IEEE arithmetic
// rounds each lane as the scalar instructions do, so the results are the
// same bits. choose(cond, a, b) is VBLENDVPD. Go's operand order is the
// reverse of Intel's: VDIVPD b, a, dst is dst = a / b; VCMPPD $p, b, a, dst
// is dst = a p b; VBLENDVPD mask, a, b, dst is dst = mask ? a : b.

// func addPowersAVX(sp, sn, c []float64)
TEXT ·addPowersAVX(SB), NOSPLIT, $0-72
	MOVQ sp_base+0(FP), DI
	MOVQ sn_base+24(FP), R8
	MOVQ c_base+48(FP), SI
	MOVQ c_len+56(FP), CX
	VMOVUPD signMask<>(SB), Y14
	VXORPD  Y15, Y15, Y15 // +0
	SHRQ    $2, CX
	JZ      powersDone

powersLoop:
	VMOVUPD (SI), Y0            // v
	VCMPPD  $0x1e, Y15, Y0, Y1  // up = v > 0 (false for NaN)
	VMULPD  Y0, Y0, Y2          // pow8(v)
	VMULPD  Y2, Y2, Y2
	VMULPD  Y2, Y2, Y2
	VXORPD  Y14, Y0, Y3         // -v
	VMULPD  Y3, Y3, Y3          // pow8(-v)
	VMULPD  Y3, Y3, Y3
	VMULPD  Y3, Y3, Y3
	VBLENDVPD Y1, Y2, Y15, Y2   // choose(up, pow8(v), 0)
	VBLENDVPD Y1, Y15, Y3, Y3   // choose(up, 0, pow8(-v))
	VMOVUPD (DI), Y4
	VADDPD  Y2, Y4, Y4          // sp[j] + that
	VMOVUPD Y4, (DI)
	VMOVUPD (R8), Y5
	VADDPD  Y3, Y5, Y5          // sn[j] + that
	VMOVUPD Y5, (R8)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R8
	DECQ    CX
	JNZ     powersLoop

powersDone:
	VZEROUPPER
	RET

// func cellGradientsAVX(gradC, c []float64, f *cellFactors, cells float64)
TEXT ·cellGradientsAVX(SB), NOSPLIT, $0-64
	MOVQ gradC_base+0(FP), DI
	MOVQ c_base+24(FP), SI
	MOVQ c_len+32(FP), CX
	MOVQ f+48(FP), AX
	MOVQ 0(AX), R9   // f.gp
	MOVQ 24(AX), R10 // f.gn
	MOVQ 48(AX), R11 // f.p
	MOVQ 72(AX), R12 // f.n
	VBROADCASTSD cells+56(FP), Y13
	VMOVUPD signMask<>(SB), Y14
	VXORPD  Y15, Y15, Y15 // +0
	SHRQ    $2, CX
	JZ      gradDone

gradLoop:
	VMOVUPD (SI), Y0            // v
	VCMPPD  $0x1e, Y15, Y0, Y1  // up = v > 0
	VCMPPD  $0x11, Y15, Y0, Y2  // v < 0
	VMOVUPD (R10), Y3
	VXORPD  Y14, Y3, Y3         // -gn
	VMOVUPD (R9), Y4
	VBLENDVPD Y1, Y4, Y3, Y3    // factor = choose(up, gp, -gn)
	VMOVUPD (R11), Y4
	VMOVUPD (R12), Y5
	VBLENDVPD Y1, Y4, Y5, Y4    // m = choose(up, p, n)
	VXORPD  Y14, Y0, Y5         // -v
	VBLENDVPD Y1, Y0, Y5, Y5    // u = choose(up, v, -v)
	VDIVPD  Y4, Y5, Y6          // u / m
	VMULPD  Y6, Y6, Y6          // pow8
	VMULPD  Y6, Y6, Y6
	VMULPD  Y6, Y6, Y6
	VMULPD  Y6, Y3, Y6          // factor * pow8
	VMULPD  Y4, Y6, Y6          // * m
	VDIVPD  Y5, Y6, Y6          // / u
	VORPD   Y2, Y1, Y1          // up || v < 0
	VBLENDVPD Y1, Y6, Y15, Y6   // choose(that, g, 0)
	VDIVPD  Y13, Y6, Y6         // / cells
	VMOVUPD Y6, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R9
	ADDQ    $32, R10
	ADDQ    $32, R11
	ADDQ    $32, R12
	DECQ    CX
	JNZ     gradLoop

gradDone:
	VZEROUPPER
	RET
