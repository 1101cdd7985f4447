// Package reorder partitions photonic layers into core-sized blocks, counts
// the PCM writes of programming them, and finds programming orders that
// need fewer writes (ELight, Zhu et al., ASP-DAC 2022; sections 1, 3 and 4
// of the README's method state it), and lays a whole model out on a chip
// of fewer physical cores, wear-levelled (section 7).
//
// # Blocks
//
// Partition zero-pads a quantized [Rows, Cols] matrix to whole K x K blocks.
// Core i (one per block row, all working in parallel) is programmed with
// blocks (i, 0), (i, 1), ..., (i, q-1) in turn, starting from the cleared
// state (every level 0). A Layer stores the levels cell by cell, so the q
// levels one cell receives are contiguous.
//
// # Cost
//
// Account and Replay count, per layer:
//
//   - writes: one per level step of one cell on one array. Only one of a
//     cell's positive and negative arrays is non-zero, so changing the
//     signed level c = pos - neg from u to v costs |u - v|.
//   - max cell writes: the most writes any one cell takes, which sets the
//     layer's lifetime (Stats.Lifetime).
//   - energy: EUp per level a magnitude rises on either array, EDown per
//     level it falls. The reference code's figure differs on two counts
//     (its negative array holds -neg and one branch uses the positive
//     array's difference; its up and down costs are swapped for that
//     array); this package computes the consistent one.
//   - latency: all cells of a block, both arrays and all cores are
//     programmed in parallel, one block step at a time, so a layer takes
//     the sum over steps of the slowest cell-array of the step. A cell
//     moving n levels takes n times the one-level time (TUpUS or TDownUS),
//     as in the reference's analyze_wt (its |difference| times the step
//     time); pulses are applied one level at a time.
//
// # Strategies
//
// Block products within a row are summed, so a core may receive its
// blocks in any order as long as every cell gets the matching input. The
// strategies differ in what shares an order (Scope):
//
//   - None: the original order.
//   - Sort: the reference's reordering, each cell ascending (per cell).
//   - Cell: the per-cell optimum (per cell); its writes bound every order
//     from below (LowerBound).
//   - Column: one order per core column, for cores that broadcast an input
//     down a column; a shortest Hamiltonian path per column.
//   - Block: one order per core, whole blocks; works on any core.
//
// Column and Block are shortest-path problems under the L1 distance of
// levels, solved by bounded heuristics (nearest neighbour, 2-opt, Or-opt)
// on chunks of at most 128 blocks, and never worse than None. Plans are
// deterministic.
//
// # The chip
//
// PlanChip assigns every layer's block rows to a chip's physical cores,
// naively and wear-levelled, and AccountChip counts one inference in
// steady state: cells keep their levels from block to block, layer to
// layer and inference to inference. ReplayChip checks both independently.
package reorder
