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

// func addAVX(dst, src []float32)
TEXT ·addAVX(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	SHRQ $3, CX
	JZ   addDone

addLoop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0 // dst + src: a NaN in both gives dst's, as ADDSS does
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addLoop

addDone:
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

// EVENS sets r to the even cells of the 16 at (SI): VSHUFPS takes them in
// the order 0 1 4 5 2 3 6 7 of the outputs, VPERMPD $0xd8 swaps the middle
// pairs back.
#define EVENS(r) \
	VMOVUPS (SI), Y0;          \
	VMOVUPS 32(SI), Y1;        \
	VSHUFPS $0x88, Y1, Y0, r;  \
	VPERMPD $0xd8, r, r

// func maxStride2AVX(best, src []float32)
TEXT ·maxStride2AVX(SB), NOSPLIT, $0-48
	MOVQ best_base+0(FP), DI
	MOVQ best_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	SIGNBIT(Y13)
	SHRQ $3, CX
	JZ   maxStride2Done

maxStride2Loop:
	EVENS(Y2)
	VMOVUPS (DI), Y3
	GOMAX(Y3, Y2, Y4, Y8, Y9)
	VMOVUPS Y4, (DI)
	ADDQ    $64, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     maxStride2Loop

maxStride2Done:
	VZEROUPPER
	RET

// func matchStride2AVX(at []int32, y, src []float32, code int32)
TEXT ·matchStride2AVX(SB), NOSPLIT, $0-76
	MOVQ         at_base+0(FP), DI
	MOVQ         at_len+8(FP), CX
	MOVQ         y_base+24(FP), DX
	MOVQ         src_base+48(FP), SI
	MOVL         code+72(FP), AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	SHRQ         $3, CX
	JZ           matchStride2Done

matchStride2Loop:
	EVENS(Y2)
	VPCMPEQD (DX), Y2, Y3 // all ones where the bits are equal
	VMOVDQU  (DI), Y4
	VPAND    Y3, Y14, Y5  // code where equal
	VPANDN   Y4, Y3, Y6   // at where not
	VPOR     Y5, Y6, Y4
	VMOVDQU  Y4, (DI)
	ADDQ     $64, SI
	ADDQ     $32, DX
	ADDQ     $32, DI
	DECQ     CX
	JNZ      matchStride2Loop

matchStride2Done:
	VZEROUPPER
	RET

// func interleave4AVX(dst, a, b, c, d []float32)
//
// Eight cells of each row a step: VUNPCKLPS/HPS pair a with b and c with
// d, VUNPCKLPD/HPD make the groups of four of cells 0 and 4, 1 and 5, 2
// and 6, 3 and 7, and VPERM2F128 puts them in order.
TEXT ·interleave4AVX(SB), NOSPLIT, $0-120
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ a_len+32(FP), CX
	MOVQ b_base+48(FP), R8
	MOVQ c_base+72(FP), R9
	MOVQ d_base+96(FP), R10
	SHRQ $3, CX
	JZ   interleave4Done

interleave4Loop:
	VMOVUPS    (SI), Y0
	VMOVUPS    (R8), Y1
	VMOVUPS    (R9), Y2
	VMOVUPS    (R10), Y3
	VUNPCKLPS  Y1, Y0, Y4       // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS  Y1, Y0, Y5       // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS  Y3, Y2, Y6       // c0 d0 c1 d1 | c4 d4 c5 d5
	VUNPCKHPS  Y3, Y2, Y7       // c2 d2 c3 d3 | c6 d6 c7 d7
	VUNPCKLPD  Y6, Y4, Y0       // 0 | 4
	VUNPCKHPD  Y6, Y4, Y1       // 1 | 5
	VUNPCKLPD  Y7, Y5, Y2       // 2 | 6
	VUNPCKHPD  Y7, Y5, Y3       // 3 | 7
	VPERM2F128 $0x20, Y1, Y0, Y4
	VPERM2F128 $0x20, Y3, Y2, Y5
	VPERM2F128 $0x31, Y1, Y0, Y6
	VPERM2F128 $0x31, Y3, Y2, Y7
	VMOVUPS    Y4, (DI)
	VMOVUPS    Y5, 32(DI)
	VMOVUPS    Y6, 64(DI)
	VMOVUPS    Y7, 96(DI)
	ADDQ       $32, SI
	ADDQ       $32, R8
	ADDQ       $32, R9
	ADDQ       $32, R10
	ADDQ       $128, DI
	DECQ       CX
	JNZ        interleave4Loop

interleave4Done:
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

// STRIDE2CHECK sets the carry flag where the eight offsets in Y1 step by
// two from lane 0's (a stride-2 convolution's run), which it leaves in AX;
// Y13 holds 2*lane, Y15 all ones.
#define STRIDE2CHECK \
	VPSUBD       Y13, Y1, Y5; \
	VPBROADCASTD X5, Y6;      \
	VPCMPEQD     Y5, Y6, Y7;  \
	VPTEST       Y15, Y7;     \
	VMOVD        X5, AX

// STRIDE2LOAD loads into Y0 the eight cells two apart from cell AX >= 0
// of SI, the last inside the source: cells 0-7 and 7-14 are two loads,
// the even ones of the first and the odd ones of the second blended and
// put in order (Y12). Not EVENS: its second load reaches cell 15, past a
// run that ends at the source's last cell.
#define STRIDE2LOAD \
	MOVLQSX  AX, AX;               \
	VMOVUPS  (SI)(AX*4), Y0;       \
	VMOVUPS  28(SI)(AX*4), Y2;     \
	VBLENDPS $0xaa, Y2, Y0, Y0;    \
	VPERMPS  Y0, Y12, Y0

// func gatherAVX(dst, src []float32, at []int32)
//
// VPGATHERDD loads the lanes whose mask has its sign bit set, here those
// with at >= 0, and leaves the others as they were: +0. A run of eight
// cells two apart from a start inside the source (im2col's rows of a
// stride-2 convolution) is two loads instead, as in gatherBlockAVX.
TEXT ·gatherAVX(SB), NOSPLIT, $0-72
	MOVQ     dst_base+0(FP), DI
	MOVQ     dst_len+8(FP), CX
	MOVQ     src_base+24(FP), SI
	MOVQ     at_base+48(FP), DX
	VPCMPEQD Y15, Y15, Y15 // all ones
	VMOVDQU  iota8x2<>(SB), Y13
	VMOVDQU  evensFirst<>(SB), Y12
	SHRQ     $3, CX
	JZ       gatherDone

gatherLoop:
	VMOVDQU (DX), Y1
	STRIDE2CHECK
	JCC     gatherPick
	TESTL   AX, AX
	JS      gatherPick // the run starts in the padding
	STRIDE2LOAD
	JMP     gatherStore

gatherPick:
	VPXOR      Y15, Y1, Y2 // sign set where at >= 0
	VPXOR      Y0, Y0, Y0
	VPGATHERDD Y2, (SI)(Y1*4), Y0

gatherStore:
	VMOVDQU    Y0, (DI)
	ADDQ       $32, DX
	ADDQ       $32, DI
	DECQ       CX
	JNZ        gatherLoop

gatherDone:
	VZEROUPPER
	RET

// iota8 is the offsets of a run of eight consecutive cells.
DATA iota8<>+0(SB)/4, $0
DATA iota8<>+4(SB)/4, $1
DATA iota8<>+8(SB)/4, $2
DATA iota8<>+12(SB)/4, $3
DATA iota8<>+16(SB)/4, $4
DATA iota8<>+20(SB)/4, $5
DATA iota8<>+24(SB)/4, $6
DATA iota8<>+28(SB)/4, $7
GLOBL iota8<>(SB), RODATA|NOPTR, $32

// iota8x2 is the offsets of a run of eight cells two apart.
DATA iota8x2<>+0(SB)/4, $0
DATA iota8x2<>+4(SB)/4, $2
DATA iota8x2<>+8(SB)/4, $4
DATA iota8x2<>+12(SB)/4, $6
DATA iota8x2<>+16(SB)/4, $8
DATA iota8x2<>+20(SB)/4, $10
DATA iota8x2<>+24(SB)/4, $12
DATA iota8x2<>+28(SB)/4, $14
GLOBL iota8x2<>(SB), RODATA|NOPTR, $32

// evensFirst puts cells 0, 8, 2, 10, 4, 12, 6, 14 (a stride-2 run's two
// loads blended) in order.
DATA evensFirst<>+0(SB)/4, $0
DATA evensFirst<>+4(SB)/4, $2
DATA evensFirst<>+8(SB)/4, $4
DATA evensFirst<>+12(SB)/4, $6
DATA evensFirst<>+16(SB)/4, $1
DATA evensFirst<>+20(SB)/4, $3
DATA evensFirst<>+24(SB)/4, $5
DATA evensFirst<>+28(SB)/4, $7
GLOBL evensFirst<>(SB), RODATA|NOPTR, $32

// func gatherBlockAVX(dst *float32, stride int, srcs, ats *[8]unsafe.Pointer, rows, runs int)
//
// For run j < runs and row r < rows: the eight cells src_r[at_r[8j+i]] (+0
// where at_r < 0) into dst + j*stride + 8r. The rows of a run fill whole
// cache lines one after another, where a row at a time would store to runs
// a stride apart, which map to the same few L1 sets. A run whose cells
// outside the padding are consecutive, at = start + lane (most of them in
// a stride-1 convolution, those at a row's ends included), is one masked
// load instead of a gather; the start is lane 0's or, where lane 0 is in
// the padding on the left, lane 7's. A run of eight cells two apart, none
// in the padding (a stride-2 convolution's), is two loads, cells 0-7 and
// 7-14 (the last is the run's, so inside the source), blended and put in
// order.
TEXT ·gatherBlockAVX(SB), NOSPLIT, $0-48
	MOVQ     dst+0(FP), DI
	MOVQ     stride+8(FP), R8
	MOVQ     srcs+16(FP), R9
	MOVQ     ats+24(FP), R10
	MOVQ     rows+32(FP), R11
	MOVQ     runs+40(FP), R12
	SHLQ     $2, R8        // bytes
	XORQ     R13, R13      // the run's first offset in at_r, in bytes
	VPCMPEQD Y15, Y15, Y15 // all ones
	VMOVDQU  iota8<>(SB), Y14
	VMOVDQU  iota8x2<>(SB), Y13
	VMOVDQU  evensFirst<>(SB), Y12
	TESTQ    R12, R12
	JZ       gatherBlockDone
	TESTQ    R11, R11
	JZ       gatherBlockDone

gatherBlockRun:
	XORQ CX, CX // row

gatherBlockRow:
	MOVQ       (R9)(CX*8), SI
	MOVQ       (R10)(CX*8), DX
	VMOVDQU    (DX)(R13*1), Y1
	VPSRAD     $31, Y1, Y8  // all ones where at < 0
	VPXOR      Y15, Y8, Y8  // all ones where at >= 0: the lanes to load
	VPSUBD     Y14, Y1, Y5  // at - lane: one value over an affine run
	VPBROADCASTD X5, Y6     // lane 0's
	VPCMPEQD   Y5, Y6, Y7
	VPANDN     Y8, Y7, Y9   // lanes to load that lane 0's start misses
	VPTEST     Y9, Y9
	JZ         gatherBlockStart0
	VEXTRACTI128 $1, Y5, X10
	VPSHUFD    $0xff, X10, X10 // lane 7's
	VPBROADCASTD X10, Y6
	VPCMPEQD   Y5, Y6, Y7
	VPANDN     Y8, Y7, Y9
	VPTEST     Y9, Y9
	JNZ        gatherBlockStride2
	VMOVD      X10, AX
	JMP        gatherBlockMasked

gatherBlockStride2:
	VPTEST Y15, Y8 // carry where every lane is inside the input
	JCC    gatherBlockGather
	STRIDE2CHECK
	JCC    gatherBlockGather
	STRIDE2LOAD
	JMP    gatherBlockStore

gatherBlockStart0:
	VMOVD X5, AX

gatherBlockMasked:
	MOVLQSX    AX, AX
	VPMASKMOVD (SI)(AX*4), Y8, Y0 // +0 in the padding; no access there
	JMP        gatherBlockStore

gatherBlockGather:
	VPXOR      Y15, Y1, Y2 // sign set where at >= 0
	VPXOR      Y0, Y0, Y0
	VPGATHERDD Y2, (SI)(Y1*4), Y0

gatherBlockStore:
	MOVQ    CX, BX
	SHLQ    $5, BX
	VMOVDQU Y0, (DI)(BX*1)
	INCQ    CX
	CMPQ    CX, R11
	JL      gatherBlockRow
	ADDQ    R8, DI
	ADDQ    $32, R13
	DECQ    R12
	JNZ     gatherBlockRun

gatherBlockDone:
	VZEROUPPER
	RET

// MAXGRAD is MaxPool2x2Grad for eight windows: their top rows are the 16
// cells at xt0 and xt1, their bottom rows at xb0 and xb1, with dx's cells
// at dt0, dt1, db0, db1; (DX) holds y, (R9) dy. The cells are split into
// even and odd columns as in MAXPAIRS; VPERMPD $0xd8 puts y and dy in the
// same order, and VUNPCKLPS / VUNPCKHPS interleave the columns back.
#define MAXGRAD(xt0, xt1, xb0, xb1, dt0, dt1, db0, db1) \
	VMOVUPS   xt0, Y0;              \
	VMOVUPS   xt1, Y1;              \
	VSHUFPS   $0x88, Y1, Y0, Y2;    \
	VSHUFPS   $0xdd, Y1, Y0, Y3;    \
	VMOVUPS   xb0, Y0;              \
	VMOVUPS   xb1, Y1;              \
	VSHUFPS   $0x88, Y1, Y0, Y4;    \
	VPERMPD   $0xd8, (DX), Y6;      \
	VPERMPD   $0xd8, (R9), Y7;      \
	VADDPS    Y7, Y15, Y7;          \
	VPCMPEQD  Y6, Y2, Y8;           \
	VPCMPEQD  Y6, Y3, Y9;           \
	VPCMPEQD  Y6, Y4, Y10;          \
	VANDPS    Y7, Y8, Y11;          \
	VANDNPS   Y9, Y8, Y9;           \
	VANDPS    Y7, Y9, Y12;          \
	VORPS     Y9, Y8, Y8;           \
	VANDNPS   Y10, Y8, Y10;         \
	VANDPS    Y7, Y10, Y14;         \
	VORPS     Y10, Y8, Y8;          \
	VANDNPS   Y7, Y8, Y5;           \
	VUNPCKLPS Y12, Y11, Y0;         \
	VUNPCKHPS Y12, Y11, Y1;         \
	VMOVUPS   Y0, dt0;              \
	VMOVUPS   Y1, dt1;              \
	VUNPCKLPS Y5, Y14, Y0;          \
	VUNPCKHPS Y5, Y14, Y1;          \
	VMOVUPS   Y0, db0;              \
	VMOVUPS   Y1, db1

// func maxGradPairsAVX(dxTop, dxBottom, top, bottom, y, dy []float32)
//
// Y8 to Y14: the cells that match y (top left, top right, bottom left),
// the first match, and 0 + dy masked to each winner; Y15 holds +0.
TEXT ·maxGradPairsAVX(SB), NOSPLIT, $0-144
	MOVQ   dxTop_base+0(FP), DI
	MOVQ   dxBottom_base+24(FP), R8
	MOVQ   top_base+48(FP), SI
	MOVQ   bottom_base+72(FP), R10
	MOVQ   y_base+96(FP), DX
	MOVQ   y_len+104(FP), CX
	MOVQ   dy_base+120(FP), R9
	VXORPS Y15, Y15, Y15
	SHRQ   $3, CX
	JZ     maxGradPairsDone

maxGradPairsLoop:
	MAXGRAD((SI), 32(SI), (R10), 32(R10), (DI), 32(DI), (R8), 32(R8))
	ADDQ $64, SI
	ADDQ $64, R10
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $32, DX
	ADDQ $32, R9
	DECQ CX
	JNZ  maxGradPairsLoop

maxGradPairsDone:
	VZEROUPPER
	RET

// func maxGrad8AVX(dx, x, y, dy []float32)
//
// Rows of eight cells, top, bottom, top, bottom, ...: two pairs of rows a
// step, as maxPool8AVX.
TEXT ·maxGrad8AVX(SB), NOSPLIT, $0-96
	MOVQ   dx_base+0(FP), DI
	MOVQ   x_base+24(FP), SI
	MOVQ   y_base+48(FP), DX
	MOVQ   y_len+56(FP), CX
	MOVQ   dy_base+72(FP), R9
	VXORPS Y15, Y15, Y15
	SHRQ   $3, CX
	JZ     maxGrad8Done

maxGrad8Loop:
	MAXGRAD((SI), 64(SI), 32(SI), 96(SI), (DI), 64(DI), 32(DI), 96(DI))
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $32, DX
	ADDQ $32, R9
	DECQ CX
	JNZ  maxGrad8Loop

maxGrad8Done:
	VZEROUPPER
	RET
