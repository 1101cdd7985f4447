package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rgbImage is an h x w image with pixel (x, y) = (v, v+1, v+2), alpha a,
// where v = base + 10y + x.
func rgbImage(h, w, base int, a uint8) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(base + 10*y + x)
			img.SetNRGBA(x, y, color.NRGBA{v, v + 1, v + 2, a})
		}
	}
	return img
}

func grayImage(h, w, base int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{uint8(base + 10*y + x)})
		}
	}
	return img
}

func TestImagesColor(t *testing.T) {
	dir := t.TempDir()
	// classes in sorted folder order: bird 0, cat 1, dog 2
	writeFile(t, dir, "dog/b.png", pngBytes(t, rgbImage(2, 3, 100, 255)))
	writeFile(t, dir, "dog/a.PNG", pngBytes(t, rgbImage(2, 3, 50, 128))) // alpha is dropped
	writeFile(t, dir, "cat/x.png", pngBytes(t, grayImage(2, 3, 7)))      // gray among color: replicated
	writeFile(t, dir, "bird/y.png", pngBytes(t, rgbImage(2, 3, 0, 255)))
	writeFile(t, dir, "bird/notes.txt", []byte("not an image"))
	writeFile(t, dir, ".hidden/z.png", pngBytes(t, rgbImage(2, 3, 0, 255)))
	d, err := Open("images:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Classes, []string{"bird", "cat", "dog"}) || d.NumClasses != 3 || d.Shape != (Shape{3, 2, 3}) {
		t.Fatalf("classes %v (%d), shape %v", d.Classes, d.NumClasses, d.Shape)
	}
	if !slices.Equal(d.Splits, []string{All, Test, Train}) {
		t.Fatalf("splits %v", d.Splits)
	}
	all, err := d.Split(All)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := all.Labels(), []int64{0, 1, 2, 2}; !slices.Equal(got, want) {
		t.Fatalf("labels %v, want %v (bird/y, cat/x, dog/a, dog/b)", got, want)
	}
	// planes R, G, B of 2x3 images
	plane := func(v0 int, d int) []uint8 {
		var p []uint8
		for y := range 2 {
			for x := range 3 {
				p = append(p, uint8(v0+10*y+x+d))
			}
		}
		return p
	}
	for i, want := range [][]uint8{
		slices.Concat(plane(0, 0), plane(0, 1), plane(0, 2)),
		slices.Concat(plane(7, 0), plane(7, 0), plane(7, 0)),
		slices.Concat(plane(50, 0), plane(50, 1), plane(50, 2)),
		slices.Concat(plane(100, 0), plane(100, 1), plane(100, 2)),
	} {
		if got := all.data.pixels(i); !slices.Equal(got, want) {
			t.Errorf("image %d: %v, want %v", i, got, want)
		}
	}
}

func TestImagesGrayAndJPEG(t *testing.T) {
	dir := t.TempDir()
	var j bytes.Buffer
	if err := jpeg.Encode(&j, grayImage(8, 8, 20), &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "0/a.jpg", j.Bytes())
	writeFile(t, dir, "1/b.png", pngBytes(t, grayImage(8, 8, 30)))
	d, err := Open("images:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Shape != (Shape{1, 8, 8}) {
		t.Fatalf("shape %v, want 1x8x8 (all gray)", d.Shape)
	}
	all, err := d.Split(All)
	if err != nil {
		t.Fatal(err)
	}
	for i, base := range []int{20, 30} {
		for k, v := range all.data.pixels(i) {
			if want := base + 10*(k/8) + k%8; abs(int(v)-want) > 2 {
				t.Fatalf("image %d pixel %d: %d, want %d (within JPEG error)", i, k, v, want)
			}
		}
	}
}

func abs(x int) int { return max(x, -x) }

func TestImagesDifferentSizes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a/1.png", pngBytes(t, rgbImage(2, 2, 0, 255)))
	writeFile(t, dir, "b/2.png", pngBytes(t, rgbImage(4, 4, 0, 255)))
	d, err := Open("images:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Shape != (Shape{C: 3}) {
		t.Fatalf("shape %v, want 3x0x0 (sizes differ)", d.Shape)
	}
	_, err = d.OutputShape(Preprocess{Pad: 1})
	if err == nil || !strings.Contains(err.Error(), "the images differ in size (a/1.png is 2x2, b/2.png is 4x4): add --resize HxW") {
		t.Fatalf("without --resize: %v", err)
	}
	p := Preprocess{Resize: Size{2, 2}}
	if out, err := d.OutputShape(p); err != nil || out != (Shape{3, 2, 2}) {
		t.Fatalf("with --resize 2x2: %v, %v", out, err)
	}
	all, err := d.Split(All)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLoader(all, p)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]float32
	for b := range l.Batches(2) {
		got = append(got, b.X[:4], b.X[12:16])
	}
	// the 2x2 image stays; the 4x4 one averages 2x2 blocks: rows 0-1 and
	// columns 0-1 of 10y+x average 5.5
	want := [][]float32{{0, 1 / 255., 10 / 255., 11 / 255.}, {5.5 / 255, 7.5 / 255, 25.5 / 255, 27.5 / 255}}
	for i := range want {
		for k := range want[i] {
			if d := got[i][k] - want[i][k]; d > 1e-7 || d < -1e-7 {
				t.Fatalf("image %d red: %v, want %v", i, got[i], want[i])
			}
		}
	}
}

func TestImagesErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"no classes", map[string][]byte{"x.png": {1}}, "has no class subfolders"},
		{"empty class", map[string][]byte{"a/x.txt": {1}}, "holds no .png, .jpg or .jpeg images"},
		{"broken png", map[string][]byte{"a/x.png": []byte("\x89PNG\r\n\x1a\nbroken")}, "a/x.png: "},
	} {
		dir := t.TempDir()
		for name, data := range tc.files {
			writeFile(t, dir, name, data)
		}
		_, err := Open("images:"+dir, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: error %v, want %q naming %s", tc.name, err, tc.want, dir)
		}
	}
}

// TestHoldout checks that the held-out test split is the seeded fraction,
// disjoint from train, both in folder order, and the same for the same seed.
func TestHoldout(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		writeFile(t, dir, string(rune('a'+i%2))+"/"+string(rune('a'+i))+".png", pngBytes(t, grayImage(1, 1, i)))
	}
	ids := func(opts Options, split string) []uint8 {
		d, err := Open("images:"+dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		s, err := d.Split(split)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint8
		for i := range s.Len() {
			out = append(out, s.data.pixels(s.pos(i))[0])
		}
		return out
	}
	for _, tc := range []struct {
		opts  Options
		ntest int
	}{{Options{}, 2}, {Options{Holdout: 0.25, Seed: 3}, 5}, {Options{Holdout: 0.01}, 1}} {
		test, train := ids(tc.opts, Test), ids(tc.opts, Train)
		if len(test) != tc.ntest || len(train) != 20-tc.ntest {
			t.Errorf("%+v: %d test, %d train images; want %d, %d", tc.opts, len(test), len(train), tc.ntest, 20-tc.ntest)
		}
		if !slices.Equal(ids(tc.opts, Test), test) {
			t.Errorf("%+v: a second Open holds out other images", tc.opts)
		}
		all := slices.Concat(test, train)
		slices.Sort(all)
		if want := seqU8(0, 20, 1); !slices.Equal(all, want) {
			t.Errorf("%+v: test %v and train %v are not a partition", tc.opts, test, train)
		}
	}
	if a, b := ids(Options{Seed: 1}, Test), ids(Options{Seed: 2}, Test); slices.Equal(a, b) {
		t.Errorf("seeds 1 and 2 hold out the same images %v", a)
	}
	if _, err := Open("images:"+dir, Options{Holdout: 1}); err == nil || !strings.Contains(err.Error(), "holdout fraction 1") {
		t.Errorf("holdout 1: %v", err)
	}
}

func seqU8(from, to, step int) []uint8 {
	var s []uint8
	for i := from; i < to; i += step {
		s = append(s, uint8(i))
	}
	return s
}

// TestImagesRefuseHugeHeader: a PNG whose header claims 60000 x 60000
// pixels (a few dozen bytes can) is refused before any pixel memory is
// set aside, with an error naming the file.
func TestImagesRefuseHugeHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// IHDR: length (4) "IHDR" (4) width (4) height (4) ..., CRC after 13 bytes of data
	binary.BigEndian.PutUint32(b[16:], 60000)
	binary.BigEndian.PutUint32(b[20:], 60000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "cls"), "big.png", b)
	_, err := Open("images:"+dir, Options{})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "60000x60000") {
		t.Fatalf("Open: %v; want an error naming %s and its size", err, path)
	}
}
