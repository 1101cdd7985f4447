//go:build !purego

#include "textflag.h"

// The loops of vector.go eight elements at a time, operation for operation:
// each lane rounds as the scalar instructions do, so the results are the
// same bits. Go's operand order is the reverse of Intel's: VMINPS b, a, dst
// is dst = a < b ? a : b (b where either is NaN, or both are zero).

// GOMAX sets t to max(x, y) as the Go compiler computes it for amd64, bit
// for bit (NaNs and signed zeros included): negate both, take MINSS both
// ways round, OR the two, negate back. Y13 holds the sign bit; a and b are
// scratch.
#define GOMAX(x, y, t, a, b) \
	VXORPS Y13, x, a; \
	VXORPS Y13, y, b; \
	VMINPS b, a, t;   \
	VMINPS a, t, b;   \
	VORPS  t, b, t;   \
	VXORPS Y13, t, t

// RELU is GOMAX(x, +0, t, a, b), with -0 = Y13 for the negated zero.
#define RELU(x, t, a, b) \
	VXORPS Y13, x, a; \
	VMINPS Y13, a, t; \
	VMINPS a, t, b;   \
	VORPS  t, b, t;   \
	VXORPS Y13, t, t

// SIGNBIT sets every lane of r to 0x80000000.
#define SIGNBIT(r) \
	VPCMPEQD r, r, r; \
	VPSLLD   $31, r, r

// func biasReLUAVX(dst, src []float32, b float32)
TEXT ·biasReLUAVX(SB), NOSPLIT, $0-52
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	VBROADCASTSS b+48(FP), Y14
	SIGNBIT(Y13)
	SHRQ         $3, CX
	JZ           biasReLUDone

biasReLULoop:
	VMOVUPS (SI), Y0
	VADDPS  Y14, Y0, Y0 // src + b
	RELU(Y0, Y1, Y2, Y3)
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     biasReLULoop

biasReLUDone:
	VZEROUPPER
	RET

// func addBiasAVX(dst, src []float32, b float32)
TEXT ·addBiasAVX(SB), NOSPLIT, $0-52
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	VBROADCASTSS b+48(FP), Y14
	SHRQ         $3, CX
	JZ           addBiasDone

addBiasLoop:
	VMOVUPS (SI), Y0
	VADDPS  Y14, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addBiasLoop

addBiasDone:
	VZEROUPPER
	RET

// func reluAVX(dst, src []float32)
TEXT ·reluAVX(SB), NOSPLIT, $0-48
	MOVQ   dst_base+0(FP), DI
	MOVQ   dst_len+8(FP), CX
	MOVQ   src_base+24(FP), SI
	SIGNBIT(Y13)
	SHRQ   $3, CX
	JZ     reluDone

reluLoop:
	VMOVUPS (SI), Y0
	RELU(Y0, Y1, Y2, Y3)
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     reluLoop

reluDone:
	VZEROUPPER
	RET

// func reluGradAVX(dst, y, dy []float32)
TEXT ·reluGradAVX(SB), NOSPLIT, $0-72
	MOVQ  dst_base+0(FP), DI
	MOVQ  dst_len+8(FP), CX
	MOVQ  y_base+24(FP), SI
	MOVQ  dy_base+48(FP), DX
	VPXOR Y15, Y15, Y15
	SHRQ  $3, CX
	JZ    reluGradDone

reluGradLoop:
	VMOVUPS  (SI), Y0
	VPCMPEQD Y15, Y0, Y0 // the bits of y are zero
	VANDNPS  (DX), Y0, Y1
	VMOVUPS  Y1, (DI)
	ADDQ     $32, SI
	ADDQ     $32, DX
	ADDQ     $32, DI
	DECQ     CX
	JNZ      reluGradLoop

reluGradDone:
	VZEROUPPER
	RET

// MAXPAIRS writes to (DI) the maxima of eight 2x2 windows whose top rows
// are the 16 cells at top0 and top1 (eight each) and whose bottom rows are
// at bottom0 and bottom1. VSHUFPS splits the cells into even and odd
// columns in the order of outputs 0 1 4 5 2 3 6 7; VPERMPD $0xd8 swaps the
// middle pairs back.
#define MAXPAIRS(top0, top1, bottom0, bottom1) \
	VMOVUPS top0, Y0;             \
	VMOVUPS top1, Y1;             \
	VSHUFPS $0x88, Y1, Y0, Y2;    \
	VSHUFPS $0xdd, Y1, Y0, Y3;    \
	GOMAX(Y2, Y3, Y4, Y8, Y9);    \
	VMOVUPS bottom0, Y0;          \
	VMOVUPS bottom1, Y1;          \
	VSHUFPS $0x88, Y1, Y0, Y2;    \
	VSHUFPS $0xdd, Y1, Y0, Y3;    \
	GOMAX(Y2, Y3, Y5, Y8, Y9);    \
	GOMAX(Y4, Y5, Y6, Y8, Y9);    \
	VPERMPD $0xd8, Y6, Y6;        \
	VMOVUPS Y6, (DI)

// func maxPairsAVX(y, top, bottom []float32)
TEXT ·maxPairsAVX(SB), NOSPLIT, $0-72
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ top_base+24(FP), SI
	MOVQ bottom_base+48(FP), DX
	SIGNBIT(Y13)
	SHRQ $3, CX
	JZ   maxPairsDone

maxPairsLoop:
	MAXPAIRS((SI), 32(SI), (DX), 32(DX))
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  maxPairsLoop

maxPairsDone:
	VZEROUPPER
	RET

// func maxPool8AVX(y, x []float32)
//
// Rows of eight cells: x is top, bottom, top, bottom, ...; each step pools
// two pairs of rows into eight outputs.
TEXT ·maxPool8AVX(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	SIGNBIT(Y13)
	SHRQ $3, CX
	JZ   maxPool8Done

maxPool8Loop:
	MAXPAIRS((SI), 64(SI), 32(SI), 96(SI))
	ADDQ $128, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  maxPool8Loop

maxPool8Done:
	VZEROUPPER
	RET

// func gatherAVX(dst, src []float32, at []int32)
//
// VPGATHERDD loads the lanes whose mask has its sign bit set, here those
// with at >= 0, and leaves the others as they were: +0.
TEXT ·gatherAVX(SB), NOSPLIT, $0-72
	MOVQ     dst_base+0(FP), DI
	MOVQ     dst_len+8(FP), CX
	MOVQ     src_base+24(FP), SI
	MOVQ     at_base+48(FP), DX
	VPCMPEQD Y15, Y15, Y15 // all ones
	SHRQ     $3, CX
	JZ       gatherDone

gatherLoop:
	VMOVDQU    (DX), Y1
	VPXOR      Y15, Y1, Y2 // sign set where at >= 0
	VPXOR      Y0, Y0, Y0
	VPGATHERDD Y2, (SI)(Y1*4), Y0
	VMOVDQU    Y0, (DI)
	ADDQ       $32, DX
	ADDQ       $32, DI
	DECQ       CX
	JNZ        gatherLoop

gatherDone:
	VZEROUPPER
	RET
