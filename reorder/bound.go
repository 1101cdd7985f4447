package reorder

// LowerBound returns the writes of the Cell strategy without planning it:
// per cell, min(2|min| + max, 2 max + |min|) over its levels when they
// straddle zero, else the largest magnitude. No programming order of any
// scope costs fewer writes, so it bounds Column and Block from below.
func LowerBound(l *Layer) int64 {
	q := l.BlockCols()
	var total int64
	for u := range l.BlockRows() * l.K * l.K {
		seq := l.levels[u*q : (u+1)*q]
		var pos, neg int64
		for _, v := range seq {
			pos, neg = max(pos, int64(v)), max(neg, -int64(v))
		}
		total += CellWrites(pos, neg)
	}
	return total
}

// CellWrites is the fewest writes that program one cell, from the cleared
// state, with every level of its sequence, when the largest positive level
// is pos and the largest negative level is -neg (both 0 or more): up to
// the smaller extreme and back through zero, then out to the other, so the
// smaller side is crossed twice. This is the Cell strategy's cost per cell
// and the formula the write-aware cell loss smooths.
func CellWrites(pos, neg int64) int64 { return pos + neg + min(pos, neg) }
