package reorder

import (
	"slices"
	"testing"
)

// bruteForce returns the shortest path length over all orders of points
// 1..n from node 0.
func bruteForce(n int, d []int32) int64 {
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i + 1)
	}
	best := int64(-1)
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			var c int64
			prev := int32(0)
			for _, v := range perm {
				c += int64(d[int(prev)*(n+1)+int(v)])
				prev = v
			}
			if best < 0 || c < best {
				best = c
			}
			return
		}
		for i := k; i < n; i++ {
			perm[k], perm[i] = perm[i], perm[k]
			rec(k + 1)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	rec(0)
	return best
}

// randomL1 returns the distance matrix of n+1 random points in dim
// dimensions under L1, point 0 the start.
func randomL1(n, dim int, seed uint64) []int32 {
	rng := newRand(seed)
	pts := make([][]int32, n+1)
	for i := range pts {
		pts[i] = make([]int32, dim)
		for j := range pts[i] {
			pts[i][j] = int32(rng.IntN(15) - 7)
		}
	}
	d := make([]int32, (n+1)*(n+1))
	for i := range pts {
		for j := range pts {
			for k := range dim {
				d[i*(n+1)+j] += abs32(pts[i][k] - pts[j][k])
			}
		}
	}
	return d
}

// On small random instances the heuristic's path is a permutation whose
// reported length is right, no longer than the identity's and no shorter
// than the optimum; it also finds the optimum most of the time.
func TestSolveSmall(t *testing.T) {
	var s pathSolver
	optimal := 0
	const trials = 200
	for trial := range trials {
		n := 1 + trial%8
		d := randomL1(n, 4, uint64(trial))
		path, cost := s.solve(n, d, columnEffort)
		path = slices.Clone(path)
		tour := append([]int32{0}, path...)
		if got := s.cost(tour); got != cost {
			t.Fatalf("trial %d: reported length %d, path %v has %d", trial, cost, path, got)
		}
		sorted := slices.Sorted(slices.Values(path))
		for i, v := range sorted {
			if v != int32(i+1) {
				t.Fatalf("trial %d: path %v is not a permutation of 1..%d", trial, path, n)
			}
		}
		identity := make([]int32, n+1)
		for i := range identity {
			identity[i] = int32(i)
		}
		opt := bruteForce(n, d)
		if cost > s.cost(identity) || cost < opt {
			t.Fatalf("trial %d: length %d outside [optimum %d, identity %d]", trial, cost, opt, s.cost(identity))
		}
		if cost == opt {
			optimal++
		}
	}
	if optimal < trials*3/4 {
		t.Errorf("optimal on %d of %d small instances, want at least 3/4", optimal, trials)
	}
}

// Blocks holding every level 0..q-1 once, shuffled: the cheapest order
// visits them ascending from the cleared core, one write per cell and
// step after the first; the path strategies must find it.
func TestPathStrategiesFindProgression(t *testing.T) {
	const k, q = 4, 16
	rng := newRand(3)
	perm := rng.Perm(q)
	lv := newLevels(k, k*q, 4) // levels 0..15 fit 4 bits
	for r := range k {
		for col := range k * q {
			lv.Signed[r*k*q+col] = int16(perm[col/k])
		}
	}
	l := mustPartition(t, lv, k)
	want := int64(k * k * (q - 1))
	for _, s := range []Strategy{Column, Block} {
		if got := mustAccount(t, l, mustPlan(t, l, s), DefaultProfile()).Writes; got != want {
			t.Errorf("%s: %d writes, want %d", s, got, want)
		}
	}
}
