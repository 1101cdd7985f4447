package finetune

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"math/rand"
	"runtime"
	"slices"
	"testing"

	"github.com/elight-photonic/elight/finetune/network"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
)

// TestWriteLossDigests pins the quantizer and the write-aware loss bit for
// bit: loss, gradient, writes and dequantized weights of seeded weights for
// every norm, reference, layout and scale mode, hashed against digests
// recorded before the step was optimized. They are float64 Go arithmetic
// that does not depend on the number of CPUs, so the digests hold on any
// amd64 machine (other architectures may fuse multiply-adds).
func TestWriteLossDigests(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("digests recorded on amd64; other architectures may fuse multiply-adds")
	}
	want := map[string]string{
		"meanR/l1/transposed=false/perRow=false/headroom=0":      "182b790fbe26de93913449772d364e5e394ccc7ea0dce5ed4426a1827b526ce8",
		"meanR/l1/transposed=false/perRow=false/headroom=2.5":    "3a0e6b664065b6bdd6d94de13bdb2d284ef78e4b67f28afc6f826dff84682efc",
		"meanR/l1/transposed=false/perRow=true/headroom=0":       "06c1e581c205eb096f42b975327f927d97095853b3cb27ca38485adf8e77fd52",
		"meanR/l1/transposed=false/perRow=true/headroom=2.5":     "c3ea4e917c7abb45de55831ca7744735fceec63de5bd412a5c4c6b9bd68baa5b",
		"meanR/l2/transposed=false/perRow=false/headroom=0":      "dfdb5be76e62d88586c163b0d2b496f7c9335dbba0ecac7de4bddb778ebef1c0",
		"meanR/l2/transposed=false/perRow=false/headroom=2.5":    "b3cef3b0806971cd081a1de0affc2e9640890c417e4ee16d5034cca592da8663",
		"meanR/l2/transposed=false/perRow=true/headroom=0":       "47c604d17950c1293e0ea2db2e48824c629f2d3cd19ad4594fc8ace8593b254c",
		"meanR/l2/transposed=false/perRow=true/headroom=2.5":     "880226328e0122715688f8535c580ae08b1f8399d8a69a372f6d41fb31662e5b",
		"meanR/cell/transposed=false/perRow=false/headroom=0":    "e174105fad4b13c32a7fc53b1b3c624492b9754f6159e843ae22660e4748f945",
		"meanR/cell/transposed=false/perRow=false/headroom=2.5":  "5bfdc854849a608563be786854154e6b518ffc6730b2045e364799ee2cbc2cd2",
		"meanR/cell/transposed=false/perRow=true/headroom=0":     "7bcf75b2890c2a8d7d826981d0e8d6dd42538b619696d2228ab2eb52af4c4cd3",
		"meanR/cell/transposed=false/perRow=true/headroom=2.5":   "5f475b4470b8f103f013d07cd32da0c766084b704fe70a3ac5e8e72084d62a74",
		"meanG/l1/transposed=false/perRow=false/headroom=0":      "3fc7cdbf6c4354fdf92245ea3ec2a4d0f63e81738554a2ec6d2dc18ce2e4c385",
		"meanG/l1/transposed=false/perRow=false/headroom=2.5":    "4f2ee99d8d9642dbeb0b297374a9ee45fbf67965d2e4e6b4ddc5e28ea478a647",
		"meanG/l1/transposed=false/perRow=true/headroom=0":       "63c5ccf58af058a9568a187f8bdabfdb94e2689cf239cfa8152494312eae4da1",
		"meanG/l1/transposed=false/perRow=true/headroom=2.5":     "daab010a19d251c0dcb7d232461aba69ef4a1814c281a37a62184c082fe452c1",
		"meanG/l2/transposed=false/perRow=false/headroom=0":      "06e97293dbf581a1891da26cd253ffabfa6907a29fa38b42fedbb10809211cdb",
		"meanG/l2/transposed=false/perRow=false/headroom=2.5":    "c686487857af0e0d5542253a13a7d7c9ed3f38e2186460acf115aee3f11254b7",
		"meanG/l2/transposed=false/perRow=true/headroom=0":       "54ee40816195ef1dc51087354c38ab44bbe5eb547b22a3cc5b4b1a75deece70a",
		"meanG/l2/transposed=false/perRow=true/headroom=2.5":     "b33cc87c002c0ba8533bad08a65ad34b3210c888c96573964822124bc6efd645",
		"neighbor/l1/transposed=false/perRow=false/headroom=0":   "83f1743b50627a28c2edf8949e775a7c2ae5fdb994ace12face3913fc88d31b9",
		"neighbor/l1/transposed=false/perRow=false/headroom=2.5": "e52a894c9a426db2d007a8051e07db99872e1c704b55d49577f1395df099aa50",
		"neighbor/l1/transposed=false/perRow=true/headroom=0":    "8dca17f15d0e2398fdfa9218299d8337e2f761ea73008380a63b872639d4baa7",
		"neighbor/l1/transposed=false/perRow=true/headroom=2.5":  "ff4142881e036c920ec9ff598d9c7b2f9c77728103d10d3f5930ba516423bc43",
		"neighbor/l2/transposed=false/perRow=false/headroom=0":   "6b322f00cc000b4acfb0be4110d9c16446565add5d122ad3a35dc946930a60a7",
		"neighbor/l2/transposed=false/perRow=false/headroom=2.5": "7aabe206d44d4a7bc2e399f95ed0bafa53205cae2e4955d3303d72e90663044d",
		"neighbor/l2/transposed=false/perRow=true/headroom=0":    "a8fee5d5b79af8754be5a7f80ac5cf42fd7f129729fa69d3a8acaaecbe3bcbb0",
		"neighbor/l2/transposed=false/perRow=true/headroom=2.5":  "02b0e413bcde54d3bf0cc706ef1f19ab6f89056776631f7eb3c3305369d591c2",
		"meanR/l1/transposed=true/perRow=false/headroom=0":       "e7404654560fcf9f7b578ffd3a89b29407ecb05d685b5266cd7f19b91453b32b",
		"meanR/l1/transposed=true/perRow=false/headroom=2.5":     "b9e83e78f9b83752951e750cf4056b91072afe5ba2cffad20e597d5b7a3fab12",
		"meanR/l1/transposed=true/perRow=true/headroom=0":        "5c70b78302d068cdb13175f1b7c854a51bad5faf8fe95667d941e05b84b7065c",
		"meanR/l1/transposed=true/perRow=true/headroom=2.5":      "1b988179a0b488a88a39002ec5a1b8a14b212cdc48588e77950b847597dd95d9",
		"meanR/l2/transposed=true/perRow=false/headroom=0":       "7d724d74261c817c946d29c3e2b88b070234901967d2d97876c72b5de1d2a80a",
		"meanR/l2/transposed=true/perRow=false/headroom=2.5":     "c13bb22469283fbc61dce5b76f4704852ca443f4257cd7f97248e65b9cbdb910",
		"meanR/l2/transposed=true/perRow=true/headroom=0":        "0eda6ca7584401cefc3c7c8a1e0fb4c6000e9db2872246d1a7783da2daf31e6d",
		"meanR/l2/transposed=true/perRow=true/headroom=2.5":      "8a3c9bfbcb8d0153ef9a910c89a4c3453a2b3723436dd439392d2656164c8041",
		"meanR/cell/transposed=true/perRow=false/headroom=0":     "992aedc4f4d3dc9e9ac899ab92ef869ac24058ecf3ccc54324feb2b7fd548c2e",
		"meanR/cell/transposed=true/perRow=false/headroom=2.5":   "97a30acf9b7e68d3ee1bc473ba8ee651478ad98eb0b238a361d272b6c62795d2",
		"meanR/cell/transposed=true/perRow=true/headroom=0":      "85fed14fa3c3c72db13e6aa96bdcc2d7abfd87b091b799324bb0d06f13cdb0fc",
		"meanR/cell/transposed=true/perRow=true/headroom=2.5":    "37a43bd3ba89c88bb9b55785ef6ead2642c80c2afd5f65e206935aee5f4ad7b3",
		"meanG/l1/transposed=true/perRow=false/headroom=0":       "ffa13609cd2526accd0bdcaf0685cecbdfa9a61286d8f6bd738b14b4c90f7aa9",
		"meanG/l1/transposed=true/perRow=false/headroom=2.5":     "f211349a38a44ca82880934bd29f8abcd6eaa798bb0557a349eeaa1c0a81d66b",
		"meanG/l1/transposed=true/perRow=true/headroom=0":        "7e999c874a80450c52cd3d1f4cd014b1183309c2c20fef5e89c55b9fa1dfed83",
		"meanG/l1/transposed=true/perRow=true/headroom=2.5":      "f9ca9e02c74d1d0cf32d42c658a50980cd351ba8f0304cdd8b81484ad3e2263b",
		"meanG/l2/transposed=true/perRow=false/headroom=0":       "5fb71074103eaf646e759b071c90496369eb6a3e530328ad15a8e1963e9b106a",
		"meanG/l2/transposed=true/perRow=false/headroom=2.5":     "967f78ce772ceb689d0a18774cd3d766cbb453e3ea2a955c09b944c660b76c4f",
		"meanG/l2/transposed=true/perRow=true/headroom=0":        "ee0652b9e8ef65cbe80e1207feafee3e920d75db4a7f3016c5fcc241d9317987",
		"meanG/l2/transposed=true/perRow=true/headroom=2.5":      "da9c7a726a631419993634c74769f6ce41bea00dd5a77a100675ad417df3651c",
		"neighbor/l1/transposed=true/perRow=false/headroom=0":    "5f229ee9e223c60c3cad2189d4f7d2954ea39f6ec99556a81215a84b333e0739",
		"neighbor/l1/transposed=true/perRow=false/headroom=2.5":  "34ff6a40b96fac61cbb9fa07646f6f1cbb0a46d6669e544a47c8b76712ba36b6",
		"neighbor/l1/transposed=true/perRow=true/headroom=0":     "a2a10e0a77edeec2f80bb9ff74c0104ccc2789956809c21bbef18d9846208729",
		"neighbor/l1/transposed=true/perRow=true/headroom=2.5":   "9d44be05fa0c52beea12ecb995d01ff706e9a6819bf949e5b0160ae0a6533b09",
		"neighbor/l2/transposed=true/perRow=false/headroom=0":    "eaab6f9a2f614aa1dc1f40983d82dcddbf9e4c5d9dc042b2a13d44b528cf5219",
		"neighbor/l2/transposed=true/perRow=false/headroom=2.5":  "e24ddbfb6aba3f997965d72b13a62f866ed67fe358f32625adc7a6eb21a13b0a",
		"neighbor/l2/transposed=true/perRow=true/headroom=0":     "e5c29fa77165b1cba6a951c4aa0f3f1756530e76eb9cc825eac181e6e3ff07dc",
		"neighbor/l2/transposed=true/perRow=true/headroom=2.5":   "211009179840e1456c494420ea32dee32660661907356b9f640710e82a30fc6d",
	}
	layouts := []onnxio.Layer{{Rows: 70, Cols: 200}, {Rows: 70, Cols: 200, Transposed: true}}
	forEachWriteLossCase(layouts, func(name string, layout onnxio.Layer, ref Reference, norm Norm, cfg quantize.Config) {
		if got := writeLossDigest(t, layout, cfg, ref, norm); got != want[name] {
			t.Errorf("%s: digest %s, want %s", name, got, want[name])
		}
	})
}

// writeLossDigest evaluates one loss on seeded weights, a row of zeros (no
// scale) and a NaN among them, twice, so that buffers reused from the first
// evaluation must not leak into the second.
func writeLossDigest(t *testing.T, layout onnxio.Layer, cfg quantize.Config, ref Reference, norm Norm) string {
	wl, err := NewWriteLoss(layout, cfg, 16, ref, norm)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(3))
	h := sha256.New()
	for range 2 {
		w := make([]float32, layout.Rows*layout.Cols)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		for col := range layout.Cols {
			w[wl.initializerIndex(5, col)] = 0
		}
		w[rng.Intn(len(w))] = float32(math.NaN())
		loss, grad := wl.Eval(w)
		binary.Write(h, binary.LittleEndian, math.Float64bits(loss))
		binary.Write(h, binary.LittleEndian, grad)
		binary.Write(h, binary.LittleEndian, wl.Writes)
		wl.startStep(1)
		binary.Write(h, binary.LittleEndian, wl.stepDequantize(w))
		loss, grad = wl.stepEval(w)
		binary.Write(h, binary.LittleEndian, math.Float64bits(loss))
		binary.Write(h, binary.LittleEndian, grad)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// trainDigestEnv is where TestTrainDigests' digests were recorded: the
// network's products round differently on another BLAS or CPU kernel.
const trainDigestEnv = "amd64, OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64, 1 thread(s) per call"

// TestTrainDigests pins fine-tuning's results bit for bit: a few steps of
// every loss, reference, scale mode, optimizer and weight layout, hashed
// (trained parameters and every step's Progress) against digests recorded
// before the step was optimized, at GOMAXPROCS 2. The network's kernels
// split their sums by GOMAXPROCS and the BLAS by CPU, so the test runs
// only where the digests were recorded.
func TestTrainDigests(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	if env := runtime.GOARCH + ", " + network.BLASInfo(); env != trainDigestEnv {
		t.Skipf("digests recorded on %q, this is %q", trainDigestEnv, env)
	}
	resnet := func(labels bool) func(t *testing.T) (*onnxio.Model, Batches) {
		return func(t *testing.T) (*onnxio.Model, Batches) {
			m, err := onnxio.Read("../testdata/resnet/resnet_bnfold_op13.onnx")
			if err != nil {
				t.Fatal(err)
			}
			return m, resnetBatches(t, labels)
		}
	}
	cases := []struct {
		name   string
		model  func(t *testing.T) (*onnxio.Model, Batches)
		adjust func(*Config)
		want   string
	}{
		{"l2-meanR", resnet(true), func(c *Config) {}, "52f51834633b21106844d909a101d0030142c152fd5e858ffc588b5a116964ce"},
		{"cell", resnet(true), func(c *Config) { c.Norm = Cell }, "0f655d572ab0b3e58f75330ebf9b568a4e00423bedd3d77c2abab9a5b0c3cfc2"},
		{"l1-neighbor-perRow-headroom", resnet(true), func(c *Config) {
			c.Norm, c.Ref, c.Quant.PerRow, c.Quant.Headroom = L1, Neighbor, true, 2.5
		}, "7c2d32decd84517c3537e49833242a873a18b0d6e52108ce2f334bb54e1e3a1f"},
		{"l2-meanG-perRow-distill", resnet(false), func(c *Config) { c.Ref, c.Quant.PerRow = MeanAll, true }, "fa05c62da8fe8dd8ddcbd2560057192dc12159502fe49280f696d0ab8e512d63"},
		{"cell-sgd-block7", resnet(true), func(c *Config) {
			c.Norm, c.Block, c.Optimizer, c.Momentum, c.WeightDecay = Cell, 7, "sgd", 0.9, 1e-4
		}, "196eb06ba20461a0edb81a5bb54a04dc07c821084d5f5eecd73e54fa7afb373c"},
		{"transposed-l2", oddShapes, func(c *Config) { c.Block, c.BatchSize = 2, 2 }, "cf443a12315dec92f02bfc5110bf7b90b371311e09c1ac8fc917f578b5d3b1f5"},
		{"transposed-cell", oddShapes, func(c *Config) { c.Block, c.BatchSize, c.Norm = 2, 2, Cell }, "4294eb5603b6657e8e48c59bc8a0651e73b806a6bd4f5a2ebb2357898ecdbf73"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, data := tc.model(t)
			cfg := testConfig()
			cfg.Steps = 3
			tc.adjust(&cfg)
			h := sha256.New()
			err := Train(context.Background(), m, data, cfg, func(p Progress) { hashProgress(h, p) })
			if err != nil {
				t.Fatal(err)
			}
			hashParams(h, m)
			if got := hex.EncodeToString(h.Sum(nil)); got != tc.want {
				t.Errorf("digest %s, want %s", got, tc.want)
			}
		})
	}
}

// oddShapes is oddShapesModel (a MatMul stored transposed) with a fixed
// batch stream.
func oddShapes(*testing.T) (*onnxio.Model, Batches) {
	return oddShapesModel(), &cyclingBatches{
		x:      []float32{1, 2, 3, 4, -1, 0.5, 0, 2, 0.3, -0.7, 1.1, 0.2},
		labels: []int64{0, 1, 1},
		size:   4,
	}
}

func hashProgress(h hash.Hash, p Progress) {
	for _, v := range []uint64{uint64(p.Step), uint64(p.Steps), math.Float64bits(p.LR), math.Float64bits(p.TaskLoss),
		math.Float64bits(p.WriteLoss), uint64(p.CellWrites), math.Float64bits(p.Accuracy)} {
		binary.Write(h, binary.LittleEndian, v)
	}
}

// hashParams hashes every float initializer, in name order.
func hashParams(h hash.Hash, m *onnxio.Model) {
	names := make([]string, 0, len(m.Graph.Initializers))
	for name := range m.Graph.Initializers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		h.Write([]byte(name))
		binary.Write(h, binary.LittleEndian, m.Graph.Initializers[name].Float)
	}
}
