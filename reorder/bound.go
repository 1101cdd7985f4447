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
		lo, hi := int64(0), int64(0)
		for _, v := range seq {
			lo, hi = min(lo, int64(v)), max(hi, int64(v))
		}
		total += min(hi-2*lo, 2*hi-lo)
	}
	return total
}
