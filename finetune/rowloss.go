package finetune

import (
	"math"

	"github.com/elight-photonic/elight/reorder"
)

// rowScratch holds one matrix row on its way from weights to gradient:
// its levels and their derivatives, the references of its cells and
// dL/dc. A row of VGG8's largest layer takes a few hundred KB, so the
// passes over it run in cache where whole-layer arrays would not.
type rowScratch struct {
	w, grad  []float32 // the row's weights and gradient, where the initializer holds them apart
	c        []float64 // normalized signed levels, rounded or continuous
	dcdw     []float64 // d c / d w at fixed alpha
	dcdalpha []float64 // d c / d alpha at fixed w
	negative []bool    // the weight is negative: it lives on the negative array even at level 0
	pos, neg []float64 // for l2, the level on either array
	ref      [2][]float64
	gradC    []float64 // dL/dc
	// per block column (col mod k): sums over the row's blocks
	sum    [2][]float64
	gp, gn []float64 // the cell loss's factors for the positive and negative side
	quot   []float64 // a reference block
}

// resize makes s hold a row of cols levels cut into blocks of k columns.
func (s *rowScratch) resize(cols, k int) {
	for _, b := range []*[]float64{&s.c, &s.dcdw, &s.dcdalpha, &s.gradC, &s.ref[0], &s.ref[1], &s.pos, &s.neg} {
		*b = resized(*b, cols)
	}
	for _, b := range []*[]float64{&s.sum[0], &s.sum[1], &s.gp, &s.gn, &s.quot} {
		*b = resized(*b, k)
	}
	s.negative = resized(s.negative, cols)
	s.w, s.grad = resized(s.w, cols), resized(s.grad, cols)
}

// rowLevels fills s with row r's levels and their derivatives: the
// continuous levels of the gradient check, or the rounded ones lv holds.
// A row whose scale is 0 has level 0 and no gradient.
func (wl *WriteLoss) rowLevels(s *rowScratch, w []float32, lv *rounded, r int, continuous bool) {
	alpha := lv.scales[wl.scaleOf(r)]
	if alpha == 0 {
		clear(s.c)
		clear(s.dcdw)
		clear(s.dcdalpha)
		clear(s.negative)
		clear(s.pos)
		clear(s.neg)
		return
	}
	base, stride := wl.rowStart(r)
	row := wl.rowWeights(s, w, r)
	// c depends on w / alpha, and alpha = max |w| is a weight too
	wl.q.Gradients(s.dcdw, s.dcdalpha, row, alpha)
	q, max := wl.q, wl.q.Max()
	// slices of one length, so that the loops need no bounds checks
	c, pos, neg, negative := s.c[:len(row)], s.pos[:len(row)], s.neg[:len(row)], s.negative[:len(row)]
	switch {
	case continuous:
		for col, v := range row {
			negative[col] = v < 0
			c[col] = q.ContinuousLevel(float64(v) / alpha)
			pos[col], neg[col] = positive(c[col]), positive(-c[col])
		}
	case wl.Norm == L2:
		// what l2 reads: the sides and the signs
		for col, v := range row {
			t := &wl.levelTable[int(lv.level[base+col*stride])+max]
			negative[col], pos[col], neg[col] = v < 0, t.pos, t.neg
		}
	default:
		// what l1 and cell read: the signed levels
		for col := range row {
			c[col] = wl.levelTable[int(lv.level[base+col*stride])+max].c
		}
	}
}

// rowWeights returns matrix row r of w: a slice of w, or, where the
// initializer holds the matrix transposed, a copy in s.
func (wl *WriteLoss) rowWeights(s *rowScratch, w []float32, r int) []float32 {
	base, stride := wl.rowStart(r)
	cols := wl.layer.Cols
	if stride == 1 {
		return w[base : base+cols]
	}
	for col := range cols {
		s.w[col] = w[base+col*stride]
	}
	return s.w[:cols]
}

// rowWrites returns the writes the cell order needs for row r's rounded
// levels: per cell, reorder.CellWrites of its largest positive and
// negative level over the row's blocks.
func (wl *WriteLoss) rowWrites(lv *rounded, r int) int64 {
	cols, k := wl.layer.Cols, wl.Block
	base, stride := wl.rowStart(r)
	var writes int64
	for b := 0; b < min(k, cols); b++ {
		var p, n int64
		for col := b; col < cols; col += k {
			v := int64(lv.level[base+col*stride])
			p, n = max(p, v), max(n, -v)
		}
		writes += reorder.CellWrites(p, n)
	}
	return writes
}

// rowSides returns what the norm compares of each of the row's levels, per
// side (see sides): the levels themselves for l1; for l2 the level on the
// pos and on the neg array, which rowLevels computed.
func (wl *WriteLoss) rowSides(s *rowScratch) (sides [2][]float64) {
	switch wl.Norm {
	case L2:
		return [2][]float64{s.pos, s.neg}
	case Cell:
		return sides
	}
	return [2][]float64{s.c}
}

// rowReference returns the reference of each of row r's cells, per side:
// computed into s from the row's sides, or taken from fixed. Padding cells
// of partial blocks count as zeros, as the core holds them.
func (wl *WriteLoss) rowReference(s *rowScratch, r int, sides, fixed [2][]float64) (refs [2][]float64) {
	cols, k := wl.layer.Cols, wl.Block
	for side := range wl.sides() {
		if fixed[side] != nil {
			refs[side] = fixed[side][r*cols : (r+1)*cols]
			continue
		}
		ref := s.ref[side]
		refs[side] = ref
		switch wl.Ref {
		case Neighbor:
			// the previous block of the row; the cleared state for the first
			clear(ref[:min(k, cols)])
			copy(ref[min(k, cols):], sides[side])
		case MeanAll:
			p, q := (wl.layer.Rows+k-1)/k, (cols+k-1)/k
			fillBlocks(ref, wl.scratch.meanAll[side][(r%k)*k:(r%k+1)*k], s.quot, float64(p*q))
		default:
			mean := s.sum[side]
			clear(mean)
			for b0 := 0; b0 < cols; b0 += k {
				for j, v := range sides[side][b0:min(b0+k, cols)] {
					mean[j] += v
				}
			}
			fillBlocks(ref, mean, s.quot, float64((cols+k-1)/k))
		}
	}
	return refs
}

// fillBlocks sets every block of row to sum / blocks, position by
// position, dividing once per position into quot.
func fillBlocks(row, sum, quot []float64, blocks float64) {
	for j := range sum {
		quot[j] = sum[j] / blocks
	}
	for b0 := 0; b0 < len(row); b0 += len(quot) {
		copy(row[b0:], quot)
	}
}

// rowGradC stores dL/dc of each of the row's levels in s.gradC and returns
// the row's share of the loss's sum; sides and refs are the row's.
func (wl *WriteLoss) rowGradC(s *rowScratch, sides, refs [2][]float64) float64 {
	switch wl.Norm {
	case Cell:
		return wl.rowCellWrites(s)
	case L2:
		return wl.rowL2(s, sides[0], sides[1], refs[0], refs[1])
	}
	return wl.rowL1(s, refs[0])
}

// rowL2 is the l2 norm on the pos and neg arrays side by side: the sum of
// the squared differences of both to their references.
func (wl *WriteLoss) rowL2(s *rowScratch, pos, neg, refPos, refNeg []float64) float64 {
	n := float64(wl.layer.Rows * wl.layer.Cols)
	gradC, negative := s.gradC, s.negative[:len(s.gradC)]
	pos, neg, refPos, refNeg = pos[:len(gradC)], neg[:len(gradC)], refPos[:len(gradC)], refNeg[:len(gradC)]
	var loss float64
	for col := range gradC {
		dp, dn := pos[col]-refPos[col], neg[col]-refNeg[col]
		// a positive weight moves the pos array up as c grows, a
		// negative one moves the neg array down
		gradC[col] = choose(negative[col], -dn, dp) / n
		loss += dp*dp + dn*dn
	}
	return loss
}

// choose returns a if cond holds, else b, without a branch: the sign of a
// weight is a coin toss that the processor mispredicts half the time.
func choose(cond bool, a, b float64) float64 {
	var mask uint64
	if cond {
		mask = ^uint64(0)
	}
	return math.Float64frombits(math.Float64bits(a)&mask | math.Float64bits(b)&^mask)
}

// rowL1 is the l1 norm on the signed levels: the sum of |c - ref|.
func (wl *WriteLoss) rowL1(s *rowScratch, ref []float64) float64 {
	n := float64(wl.layer.Rows * wl.layer.Cols)
	var loss float64
	for col, c := range s.c {
		d := c - ref[col]
		// the sign of d is a coin toss: no branch on it
		s.gradC[col] = choose(d > 0, 1/n, choose(d < 0, -1/n, 0))
		loss += math.Abs(d)
	}
	return loss
}

// rowCellWrites is the cell norm: the writes of the cell order, in units
// of L-1 levels per cell that holds a weight, from the row's signed levels.
// Per cell of a core, with P and N the soft maxima of its positive and
// negative levels over the row's blocks, it costs P + N + min(P, N) (the
// README's method, section 4: visit the smaller side first).
func (wl *WriteLoss) rowCellWrites(s *rowScratch) float64 {
	cols, k := wl.layer.Cols, wl.Block
	cells := float64(wl.layer.Rows * min(k, cols))
	sumPos, sumNeg := s.sum[0], s.sum[1]
	clear(sumPos)
	clear(sumNeg)
	for b0 := 0; b0 < cols; b0 += k {
		row := s.c[b0:min(b0+k, cols)]
		addPowers(sumPos[:len(row)], sumNeg[:len(row)], row)
	}
	var total float64
	for j := range min(k, cols) {
		// the 8th root
		p, n := math.Sqrt(math.Sqrt(math.Sqrt(sumPos[j]))), math.Sqrt(math.Sqrt(math.Sqrt(sumNeg[j])))
		total += p + n + min(p, n)
		// the smaller side is crossed twice
		gp, gn := 1.0, 1.0
		switch {
		case p < n:
			gp = 2
		case n < p:
			gn = 2
		default:
			gp, gn = 1.5, 1.5
		}
		sumPos[j], sumNeg[j], s.gp[j], s.gn[j] = p, n, gp, gn
	}
	for b0 := 0; b0 < cols; b0 += k {
		row := s.c[b0:min(b0+k, cols)]
		n := len(row)
		cellGradients(s.gradC[b0:b0+n], row, &cellFactors{s.gp[:n], s.gn[:n], sumPos[:n], sumNeg[:n]}, cells)
	}
	return total
}

// addPowers adds each level's 8th power to its side's sum, per block
// column: to sp[j] for a positive level c[j], to sn[j] otherwise. sp, sn
// and c are of one length.
func addPowers(sp, sn, c []float64) {
	done := addPowersVector(sp, sn, c)
	addPowersScalar(sp[done:], sn[done:], c[done:])
}

// addPowersScalar is addPowers one level at a time: the definition the
// vector code must match bit for bit.
func addPowersScalar(sp, sn, c []float64) {
	sp, sn = sp[:len(c)], sn[:len(c)]
	for j, v := range c {
		// Each level adds to its side's sum; adding +0 to the other
		// side's (never -0) leaves it as it is, and spares a branch on
		// the sign, which the processor mispredicts half the time.
		up := v > 0
		sp[j] += choose(up, pow8(v), 0)
		sn[j] += choose(up, 0, pow8(-v))
	}
}

// cellFactors are the cell loss's per block column values for one row:
// the factor of each side's gradient (2 for the side crossed twice) and
// each side's soft maximum. The vector code reads them in this order.
type cellFactors struct {
	gp, gn []float64
	p, n   []float64
}

// cellGradients stores dL/dc of each level of a block in gradC, for a
// loss that is the block's share of the cells' soft maxima f over cells
// cells: d p / d v = (v/p)^7 on the positive side, likewise on the
// negative. gradC, c and every slice of f are of one length.
func cellGradients(gradC, c []float64, f *cellFactors, cells float64) {
	done := cellGradientsVector(gradC, c, f, cells)
	cellGradientsScalar(gradC[done:], c[done:], &cellFactors{f.gp[done:], f.gn[done:], f.p[done:], f.n[done:]}, cells)
}

// cellGradientsScalar is cellGradients one level at a time: the
// definition the vector code must match bit for bit.
func cellGradientsScalar(gradC, c []float64, f *cellFactors, cells float64) {
	gradC = gradC[:len(c)]
	gp, gn, p, n := f.gp[:len(c)], f.gn[:len(c)], f.p[:len(c)], f.n[:len(c)]
	for j, v := range c {
		// the side is chosen without a branch, and a level of 0 has no
		// gradient
		up := v > 0
		factor, m, u := choose(up, gp[j], -gn[j]), choose(up, p[j], n[j]), choose(up, v, -v)
		g := factor * pow8(u/m) * m / u
		gradC[j] = choose(up || v < 0, g, 0) / cells
	}
}

// rowChain turns the row's dL/dc into scale times the gradient with
// respect to its weights, through each level's own weight, and returns
// the row's share of dL/dalpha and, if ownerCol is a column, the gradient
// of its weight (which chainAlpha completes with alpha's share).
func (wl *WriteLoss) rowChain(s *rowScratch, r int, grad []float32, scale float32, ownerCol int) (alphaShare, ownerGrad float64) {
	base, stride := wl.rowStart(r)
	// slices of one length, so that the loop needs no bounds checks; a
	// transposed row goes through s.grad
	gradC := s.gradC
	dcdw, dcdalpha, out := s.dcdw[:len(gradC)], s.dcdalpha[:len(gradC)], s.grad[:len(gradC)]
	if stride == 1 {
		out = grad[base : base+len(gradC)]
	}
	for col, gc := range gradC {
		alphaShare += gc * dcdalpha[col]
		out[col] = float32(gc*dcdw[col]) * scale
	}
	if stride != 1 {
		for col, g := range out {
			grad[base+col*stride] = g
		}
	}
	if ownerCol >= 0 {
		ownerGrad = gradC[ownerCol] * dcdw[ownerCol]
	}
	return alphaShare, ownerGrad
}
