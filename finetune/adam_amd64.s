//go:build !purego

#include "textflag.h"

// func adamAVX(p, m, v, g []float32, c *adamConstants)
//
// The operations of adamScalar, in its order, on eight weights at a time:
// IEEE multiplication, addition, division and square root round each lane
// as the scalar instructions do (a float32's square root taken in float64
// and rounded back is the float32 square root), so the results are the
// same bits. No fused multiply-add. (Go's operand order: VDIVPS b, a, dst
// is dst = a / b.)
TEXT ·adamAVX(SB), NOSPLIT, $0-104
	MOVQ p_base+0(FP), DI
	MOVQ p_len+8(FP), CX
	MOVQ m_base+24(FP), SI
	MOVQ v_base+48(FP), DX
	MOVQ g_base+72(FP), BX
	MOVQ c+96(FP), AX
	VBROADCASTSS 0(AX), Y8   // beta1
	VBROADCASTSS 4(AX), Y9   // 1 - beta1
	VBROADCASTSS 8(AX), Y10  // beta2
	VBROADCASTSS 12(AX), Y11 // 1 - beta2
	VBROADCASTSS 16(AX), Y12 // decay
	VBROADCASTSS 20(AX), Y13 // step size
	VBROADCASTSS 24(AX), Y14 // eps
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (BX), Y0      // g
	VMULPS  (SI), Y8, Y1  // beta1 * m
	VMULPS  Y0, Y9, Y2    // (1 - beta1) * g
	VADDPS  Y2, Y1, Y1    // m
	VMOVUPS Y1, (SI)
	VMULPS  (DX), Y10, Y3 // beta2 * v
	VMULPS  Y0, Y11, Y4   // (1 - beta2) * g
	VMULPS  Y0, Y4, Y4    // * g
	VADDPS  Y4, Y3, Y3    // v
	VMOVUPS Y3, (DX)
	VSQRTPS Y3, Y3        // sqrt(v)
	VADDPS  Y14, Y3, Y3   // + eps
	VMULPS  Y1, Y13, Y5   // step size * m
	VDIVPS  Y3, Y5, Y5    // / (sqrt(v) + eps)
	VMULPS  (DI), Y12, Y6 // p * decay
	VSUBPS  Y5, Y6, Y6    // - the step
	VMOVUPS Y6, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET
