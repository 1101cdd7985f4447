//go:build !purego

#include "textflag.h"

// func countLevelsAVX2(levels []int16, w []float32, thresholds []float32)
//
// Sixteen weights at a time: each count starts at 0 and subtracts the
// comparison mask (-1 where |w| >= t) of every threshold t; VPSIGND then
// negates it where the weight's sign bit is set (and zeroes it for +0),
// as QuantizeRow's scalar loop does on the bits. A NaN compares false
// with every threshold: level 0. (Go's operand order is the reverse of
// Intel's: VCMPPS $p, b, a, dst is dst = a p b; VPSUBD b, a, dst is
// dst = a - b.)
TEXT ·countLevelsAVX2(SB), NOSPLIT, $0-72
	MOVQ levels_base+0(FP), DI
	MOVQ w_base+24(FP), SI
	MOVQ w_len+32(FP), CX
	MOVQ thresholds_base+48(FP), R8
	MOVQ thresholds_len+56(FP), R9
	VPCMPEQD Y15, Y15, Y15
	VPSRLD   $1, Y15, Y15 // 0x7fffffff: a float32's magnitude bits
	SHRQ     $4, CX
	JZ       done

loop:
	VMOVUPS (SI), Y0    // w[0:8]
	VMOVUPS 32(SI), Y1  // w[8:16]
	VANDPS  Y15, Y0, Y2 // |w|
	VANDPS  Y15, Y1, Y3
	VPXOR   Y4, Y4, Y4  // counts
	VPXOR   Y5, Y5, Y5
	MOVQ    R8, AX
	MOVQ    R9, BX

count:
	VBROADCASTSS (AX), Y6
	VCMPPS       $0x1d, Y6, Y2, Y7 // |w| >= t (GE_OQ: false for NaN)
	VPSUBD       Y7, Y4, Y4
	VCMPPS       $0x1d, Y6, Y3, Y8
	VPSUBD       Y8, Y5, Y5
	ADDQ         $4, AX
	DECQ         BX
	JNZ          count

	VPSIGND   Y0, Y4, Y4    // the weight's sign
	VPSIGND   Y1, Y5, Y5
	VPACKSSDW Y5, Y4, Y6    // int16, in 64-bit pieces ordered 0-3, 8-11, 4-7, 12-15
	VPERMQ    $0xd8, Y6, Y6 // 0-15
	VMOVDQU   Y6, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       loop

done:
	VZEROUPPER
	RET
