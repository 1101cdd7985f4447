package reorder

// Sums of absolute differences of small integers packed into uint64 lanes
// (SWAR), the kernel of the path strategies' distances: Go has no SIMD, and
// this handles 8 (or 4) cells in a handful of word operations.
//
// Levels are stored offset to be positive and below the lane's top bit.
// For lanes a, b: (a | top) - b holds top + a - b in every lane without
// borrowing from the next (a - b > -top); XOR top turns that into a - b in
// two's complement per lane; and the absolute value per lane is (t ^ m) + n
// with n the lanes' sign bits and m those lanes all ones.

const (
	top8  = 0x8080808080808080
	low8  = 0x00ff00ff00ff00ff
	top16 = 0x8000800080008000
	fold  = 0x0001000100010001 // multiplying sums the 16-bit lanes into the top one
)

// The offsets shift levels into a lane's positive range: the 8-bit kernel
// takes magnitudes up to 63 (6 bits), the 16-bit one up to 255.
const (
	offset8  = 64
	offset16 = 256
	max8     = offset8 - 1
)

// sadRow8 sets out[y] to the sum over byte lanes of |x - points[y]| for
// each point of words words. flush is how many words a byte lane may sum
// before it could overflow: 255 / (2*max level).
func sadRow8(x, points []uint64, words, flush int, out []int32) {
	if len(out) == 0 {
		return
	}
	if words == 8 && flush >= 8 {
		sadRow8x8((*[8]uint64)(x), points, out)
		return
	}
	clear(out)
	// Most cases (k = 64, up to 4 bits) fit one segment.
	for w0 := 0; w0 < words; w0 += flush {
		w1 := min(w0+flush, words)
		sadSeg8(x[w0:w1], points[w0:], words, out)
	}
}

// sadSeg8 adds to out[y] the sum over byte lanes of |x - points[y*stride:]|
// over len(x) words, which must not overflow a byte lane.
func sadSeg8(x, points []uint64, stride int, out []int32) {
	for y := range out {
		p := points[y*stride:]
		p = p[:len(x)]
		var acc uint64
		for w, a := range x {
			acc += absDiff8(a, p[w])
		}
		// Pairs of byte lanes into 16-bit lanes, then all of them.
		out[y] += int32((((acc & low8) + ((acc >> 8) & low8)) * fold) >> 48)
	}
}

// sadRow8x8 is sadRow8 for the common case of 57 to 64 cells and levels
// of up to 4 bits: unrolled, with x held in registers, it runs a third
// faster.
func sadRow8x8(x *[8]uint64, points []uint64, out []int32) {
	x0, x1, x2, x3, x4, x5, x6, x7 := x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
	for y := range out {
		p := (*[8]uint64)(points[y*8:])
		acc := absDiff8(x0, p[0]) + absDiff8(x1, p[1]) + absDiff8(x2, p[2]) + absDiff8(x3, p[3]) +
			absDiff8(x4, p[4]) + absDiff8(x5, p[5]) + absDiff8(x6, p[6]) + absDiff8(x7, p[7])
		out[y] = int32((((acc & low8) + ((acc >> 8) & low8)) * fold) >> 48)
	}
}

// absDiff8 returns |a - b| per byte lane.
func absDiff8(a, b uint64) uint64 {
	t := ((a | top8) - b) ^ top8
	neg := (t & top8) >> 7
	return (t ^ (neg * 0xff)) + neg
}

// sadRow16 is sadRow8 for 16-bit lanes; flush is 65535 / (2*max level).
func sadRow16(x, points []uint64, words, flush int, out []int32) {
	if len(out) == 0 {
		return
	}
	clear(out)
	for w0 := 0; w0 < words; w0 += flush {
		w1 := min(w0+flush, words)
		sadSeg16(x[w0:w1], points[w0:], words, out)
	}
}

// sadSeg16 is sadSeg8 for 16-bit lanes.
func sadSeg16(x, points []uint64, stride int, out []int32) {
	for y := range out {
		p := points[y*stride:]
		p = p[:len(x)]
		var acc uint64
		for w, a := range x {
			t := ((a | top16) - p[w]) ^ top16
			neg := (t & top16) >> 15
			acc += (t ^ (neg * 0xffff)) + neg
		}
		out[y] += int32(acc&0xffff + acc>>16&0xffff + acc>>32&0xffff + acc>>48)
	}
}
