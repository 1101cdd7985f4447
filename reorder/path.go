package reorder

// The column and block strategies need a shortest Hamiltonian path: start
// at a fixed point (the cleared core, or where the previous chunk ended),
// visit every block once, end anywhere, under the L1 distance of levels.
// That is NP-hard, so pathSolver runs the classic heuristics within fixed
// bounds (no clock, so results are deterministic): the cheapest of the
// identity order and nearest-neighbour tours from several first points,
// improved by 2-opt and Or-opt moves drawn from candidate lists of near
// neighbours.

// pathCandidates is how many nearest neighbours each point's moves
// consider.
const pathCandidates = 6

// effort bounds the heuristics for one path problem.
type effort struct {
	// starts is how many nearest-neighbour tours are tried besides the
	// identity: the i-th goes to the start's i-th nearest point first.
	starts int
	// rounds bounds the improvement rounds (a 2-opt and an Or-opt pass).
	rounds int
	// orOpt is the longest segment Or-opt moves.
	orOpt int
}

// A layer has K column problems per block problem, so columns get less
// effort each; at 64 x 64 blocks that keeps both at a similar share of the
// time. The bounds were set on VGG16-sized random layers, where more effort
// gained under 1% fewer writes.
var (
	columnEffort = effort{starts: 1, rounds: 3, orOpt: 1}
	blockEffort  = effort{starts: 4, rounds: 4, orOpt: 2}
)

// pathSolver is one worker's scratch for path problems of up to its
// capacity in points. Node 0 is the start; nodes 1..n are the points.
type pathSolver struct {
	n      int
	stride int     // n+1
	d      []int32 // distances, [(n+1) x (n+1)], symmetric
	cand   []int32 // [(n+1) x nc] nearest neighbours of each node among 1..n, nearest first
	candD  []int32 // distances of one list being built
	nc     int
	tour   []int32 // tour[0] = 0, then the points in order
	best   []int32
	pos    []int32 // pos[node] = index in tour
	tmp    []int32
}

// solve returns the cheapest path the heuristics find over n points with
// distance matrix d ([(n+1) x (n+1)], node 0 the start), as the points'
// node numbers 1..n in visiting order, and its length. The path is valid
// until the next call. Ties between starting tours keep the identity, and
// improvement only shortens, so solve never returns a path dearer than
// 1, 2, ..., n.
func (s *pathSolver) solve(n int, d []int32, e effort) ([]int32, int64) {
	s.n, s.stride, s.d = n, n+1, d
	s.tour = grow(s.tour, n+1)
	s.best = grow(s.best, n+1)
	s.pos = grow(s.pos, n+1)
	s.tmp = grow(s.tmp, n+1)
	if n <= 1 {
		for i := range s.best {
			s.best[i] = int32(i)
		}
		return s.best[1:], s.cost(s.best)
	}
	s.candidates()

	// Local search is the expensive part, so only the cheapest starting
	// tour gets it.
	for i := range s.best {
		s.best[i] = int32(i)
	}
	bestCost := s.cost(s.best)
	for start := range min(e.starts, s.nc) {
		s.nearest(s.cand[start])
		if c := s.cost(s.tour); c < bestCost {
			bestCost = c
			copy(s.best, s.tour)
		}
	}
	s.improve(s.best, e)
	bestCost = s.cost(s.best)
	return s.best[1:], bestCost
}

// grow returns b resized to n, reallocating only when it is too small.
func grow(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}

// dist returns the distance between nodes a and b.
func (s *pathSolver) dist(a, b int32) int64 { return int64(s.d[int(a)*s.stride+int(b)]) }

// cost returns the length of tour.
func (s *pathSolver) cost(tour []int32) int64 {
	var c int64
	for i := 1; i < len(tour); i++ {
		c += s.dist(tour[i-1], tour[i])
	}
	return c
}

// candidates fills each node's list of nearest points, ties by node
// number.
func (s *pathSolver) candidates() {
	N := s.stride
	nc := min(pathCandidates, s.n-1)
	s.nc = nc
	s.cand = grow(s.cand, N*nc)
	s.candD = grow(s.candD, nc)
	for a := range N {
		row := s.d[a*N : (a+1)*N]
		list := s.cand[a*nc : (a+1)*nc]
		ds := s.candD[:nc]
		// Fill the list with the first nc points other than a, sorted,
		// then let nearer points in; worst caches the farthest kept, the
		// test nearly every point fails.
		b, size := 1, 0
		for ; size < nc; b++ {
			if b != a {
				insertCand(list[:size+1], ds[:size+1], int32(b), row[b])
				size++
			}
		}
		worst := ds[nc-1]
		for ; b < N; b++ {
			if db := row[b]; db < worst && b != a {
				insertCand(list, ds, int32(b), db)
				worst = ds[nc-1]
			}
		}
	}
}

// insertCand puts point b at distance db into the sorted list, after every
// entry at most as near (so ties keep node order), dropping the last entry.
func insertCand(list, ds []int32, b, db int32) {
	at := len(list) - 1
	for at > 0 && ds[at-1] > db {
		ds[at], list[at] = ds[at-1], list[at-1]
		at--
	}
	ds[at], list[at] = db, b
}

// near returns node a's candidate list.
func (s *pathSolver) near(a int32) []int32 {
	return s.cand[int(a)*s.nc : int(a+1)*s.nc]
}

// nearest fills s.tour with the greedy tour that goes from the start to
// first, then always to the nearest unvisited point (ties: lowest node).
func (s *pathSolver) nearest(first int32) {
	n := s.n
	// left holds the unvisited points; removal swaps in the last one, so
	// each step scans only what is left.
	left := s.tmp[:0]
	for b := int32(1); b <= int32(n); b++ {
		if b != first {
			left = append(left, b)
		}
	}
	s.tour[0], s.tour[1] = 0, first
	for i := 2; i <= n; i++ {
		row := s.d[int(s.tour[i-1])*s.stride : int(s.tour[i-1]+1)*s.stride]
		at := 0
		next, nd := left[0], row[left[0]]
		for x, b := range left[1:] {
			if db := row[b]; db < nd || db == nd && b < next {
				at, next, nd = x+1, b, db
			}
		}
		s.tour[i] = next
		left[at] = left[len(left)-1]
		left = left[:len(left)-1]
	}
}

// improve applies improving 2-opt and Or-opt moves to tour until none is
// found or the round limit is reached. Every applied move strictly shortens
// the tour.
func (s *pathSolver) improve(tour []int32, e effort) {
	for i, v := range tour {
		s.pos[v] = int32(i)
	}
	for range e.rounds {
		improved := s.twoOpt(tour)
		if s.orOpt(tour, e.orOpt) {
			improved = true
		}
		if !improved {
			return
		}
	}
}

// reverseDelta returns the change in length from reversing tour[lo..hi],
// 1 <= lo < hi <= n. The path's end is free, so reversing a tail costs one
// edge.
func (s *pathSolver) reverseDelta(tour []int32, lo, hi int) int64 {
	delta := s.dist(tour[lo-1], tour[hi]) - s.dist(tour[lo-1], tour[lo])
	if hi < s.n {
		delta += s.dist(tour[lo], tour[hi+1]) - s.dist(tour[hi], tour[hi+1])
	}
	return delta
}

// reverse reverses tour[lo..hi] and keeps pos current.
func (s *pathSolver) reverse(tour []int32, lo, hi int) {
	for ; lo < hi; lo, hi = lo+1, hi-1 {
		tour[lo], tour[hi] = tour[hi], tour[lo]
		s.pos[tour[lo]], s.pos[tour[hi]] = int32(lo), int32(hi)
	}
}

// twoOpt makes one pass of 2-opt moves that join a node to one of its
// candidates, first improvement. It reports whether it moved anything.
func (s *pathSolver) twoOpt(tour []int32) bool {
	improved := false
	for i := 1; i <= s.n; i++ {
		// A new edge from tour[i-1] to c replaces the edge to tour[i].
		a := tour[i-1]
		dab := s.dist(a, tour[i])
		for _, c := range s.near(a) {
			if s.dist(a, c) >= dab {
				break
			}
			lo, hi := i, int(s.pos[c])
			if hi < i-1 {
				lo, hi = hi+1, i-1
			} else if hi <= i {
				continue
			}
			if s.reverseDelta(tour, lo, hi) < 0 {
				s.reverse(tour, lo, hi)
				improved = true
				break
			}
		}
		// A new edge from tour[i] to c replaces the edge from tour[i-1].
		b := tour[i]
		dpb := s.dist(tour[i-1], b)
		for _, c := range s.near(b) {
			if s.dist(b, c) >= dpb {
				break
			}
			j := int(s.pos[c])
			var lo, hi int
			switch {
			case j > i+1:
				lo, hi = i, j-1
			case j < i-1:
				lo, hi = j, i-1
			default:
				continue
			}
			if s.reverseDelta(tour, lo, hi) < 0 {
				s.reverse(tour, lo, hi)
				improved = true
				break
			}
		}
	}
	return improved
}

// orOpt makes one pass of Or-opt moves: a segment of 1 to maxLen points is
// cut out and reinserted, either way round, next to a candidate of one of
// its ends. It reports whether it moved anything.
func (s *pathSolver) orOpt(tour []int32, maxLen int) bool {
	n := s.n
	improved := false
	for size := 1; size <= min(maxLen, n-1); size++ {
		for s0 := 1; s0+size-1 <= n; s0++ {
			s1 := s0 + size - 1
			f, e := tour[s0], tour[s1]
			prev, next := tour[s0-1], int32(-1)
			gain := s.dist(prev, f)
			if s1 < n {
				next = tour[s1+1]
				gain += s.dist(e, next) - s.dist(prev, next)
			}
			if gain <= 0 {
				continue
			}
			if s.tryInsert(tour, s0, s1, prev, next, gain) {
				improved = true
			}
		}
	}
	return improved
}

// tryInsert looks for a place next to a candidate of the segment
// tour[s0..s1]'s ends where inserting it costs less than gain, the length
// its removal saves, and moves it there.
func (s *pathSolver) tryInsert(tour []int32, s0, s1 int, prev, next int32, gain int64) bool {
	f, e := tour[s0], tour[s1]
	for _, end := range [2]int32{f, e} {
		for _, c := range s.near(end) {
			if s.dist(end, c) >= gain {
				break
			}
			pc := int(s.pos[c])
			if pc >= s0 && pc <= s1 {
				continue
			}
			// The neighbours of c once the segment is cut out.
			succ, pred := int32(-1), int32(-1)
			switch {
			case c == prev:
				succ = next
			case pc < s.n:
				succ = tour[pc+1]
			}
			if c == next {
				pred = prev
			} else {
				pred = tour[pc-1]
			}
			for _, xy := range [2][2]int32{{c, succ}, {pred, c}} {
				x, y := xy[0], xy[1]
				if x == prev && y == next {
					continue // that is where the segment came from
				}
				add, rev := s.insertCost(x, y, f, e)
				if add < gain {
					s.move(tour, s0, s1, x, rev)
					return true
				}
			}
		}
	}
	return false
}

// insertCost returns the added length of putting the segment f..e between
// adjacent nodes x and y (y < 0: after the last node x), and whether it
// goes in reversed, e..f, which is cheaper then.
func (s *pathSolver) insertCost(x, y, f, e int32) (int64, bool) {
	fwd, rev := s.dist(x, f), s.dist(x, e)
	if y >= 0 {
		dxy := s.dist(x, y)
		fwd += s.dist(e, y) - dxy
		rev += s.dist(f, y) - dxy
	}
	if rev < fwd {
		return rev, true
	}
	return fwd, false
}

// move cuts tour[s0..s1] out and reinserts it right after node x, reversed
// if rev, keeping pos current.
func (s *pathSolver) move(tour []int32, s0, s1 int, x int32, rev bool) {
	out := s.tmp[:0]
	for i, v := range tour {
		if i >= s0 && i <= s1 {
			continue
		}
		out = append(out, v)
		if v != x {
			continue
		}
		if rev {
			for j := s1; j >= s0; j-- {
				out = append(out, tour[j])
			}
		} else {
			out = append(out, tour[s0:s1+1]...)
		}
	}
	copy(tour, out)
	for i, v := range tour {
		s.pos[v] = int32(i)
	}
}
