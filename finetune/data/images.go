package data

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // decode JPEG files
	_ "image/png"  // decode PNG files
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// imageFile is one image of an images:DIR dataset.
type imageFile struct {
	path  string
	label int64
	w, h  int
}

// isImageName reports whether a file name has an extension elight decodes.
func isImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// openImages lists the class folders and their images and reads every
// image's header: its size and whether it is gray.
func (d *Dataset) openImages(dir string, opts Options) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("data %s: %w", d.Spec, err)
	}
	var files []imageFile
	gray := true
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		label := int64(len(d.Classes))
		d.Classes = append(d.Classes, e.Name())
		classDir := filepath.Join(dir, e.Name())
		inClass, err := os.ReadDir(classDir)
		if err != nil {
			return fmt.Errorf("data %s: %w", d.Spec, err)
		}
		count := 0
		for _, f := range inClass {
			if f.IsDir() || !isImageName(f.Name()) {
				continue
			}
			path := filepath.Join(classDir, f.Name())
			cfg, err := decodeConfig(path)
			if err != nil {
				return err
			}
			if int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
				return fmt.Errorf("data %s: %s is %dx%d, more than the %d pixels elight reads in one image", d.Spec, path, cfg.Height, cfg.Width, maxImagePixels)
			}
			if cfg.ColorModel != color.GrayModel && cfg.ColorModel != color.Gray16Model {
				gray = false
			}
			files = append(files, imageFile{path: path, label: label, w: cfg.Width, h: cfg.Height})
			count++
		}
		if count == 0 {
			return fmt.Errorf("data %s: class folder %s holds no .png, .jpg or .jpeg images", d.Spec, classDir)
		}
	}
	if len(d.Classes) == 0 {
		return fmt.Errorf("data %s: %s has no class subfolders; images:DIR wants one folder of images per class", d.Spec, dir)
	}
	d.NumClasses = len(d.Classes)
	d.Shape = Shape{C: 3, H: files[0].h, W: files[0].w}
	if gray {
		d.Shape.C = 1
	}
	for _, f := range files[1:] {
		if f.w != d.Shape.W || f.h != d.Shape.H {
			d.sizes = fmt.Sprintf("%s is %dx%d, %s is %dx%d", relPath(dir, files[0].path), files[0].h, files[0].w, relPath(dir, f.path), f.h, f.w)
			d.Shape.H, d.Shape.W = 0, 0
			break
		}
	}
	train, test := holdout(len(files), opts)
	c := d.Shape.C
	read := func(name string, at []int) func() (*Split, error) {
		return func() (*Split, error) { return readImages(name, dir, files, at, c) }
	}
	d.load[Train] = read(Train, train)
	d.load[Test] = read(Test, test)
	d.load[All] = read(All, seq(len(files)))
	return nil
}

// maxImagePixels bounds one image (8192 x 8192): its header is read before
// any memory is set aside for it, and a few bytes of PNG can claim any size.
const maxImagePixels = 1 << 26

// decodeConfig reads an image file's header.
func decodeConfig(path string) (image.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// relPath names path relative to dir, for shorter messages.
func relPath(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}

// readImages decodes the files at the given positions into a store of
// c-channel images.
func readImages(name, dir string, files []imageFile, at []int, c int) (*Split, error) {
	s := &store{source: dir, n: len(at), labels: make([]int64, len(at))}
	total := 0
	uniform := true
	for _, i := range at {
		total += c * files[i].h * files[i].w
		uniform = uniform && files[i].h == files[at[0]].h && files[i].w == files[at[0]].w
	}
	s.pix = make([]uint8, 0, total)
	if uniform && len(at) > 0 {
		s.shape = Shape{c, files[at[0]].h, files[at[0]].w}
	} else {
		s.shape = Shape{C: c}
		s.off = make([]int, 0, len(at)+1)
		s.shapes = make([]Shape, 0, len(at))
	}
	for k, i := range at {
		f := files[i]
		img, err := decodeImage(f.path)
		if err != nil {
			return nil, err
		}
		if b := img.Bounds(); b.Dx() != f.w || b.Dy() != f.h {
			return nil, fmt.Errorf("%s: decoded %dx%d, its header says %dx%d", f.path, b.Dy(), b.Dx(), f.h, f.w)
		}
		if s.off != nil {
			s.off = append(s.off, len(s.pix))
			s.shapes = append(s.shapes, Shape{c, f.h, f.w})
		}
		s.pix = appendPlanes(s.pix, img, c)
		s.labels[k] = f.label
	}
	if s.off != nil {
		s.off = append(s.off, len(s.pix))
	}
	return &Split{Name: name, data: s}, nil
}

// decodeImage decodes a PNG or JPEG file.
func decodeImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// appendPlanes appends img to pix as c planes (CHW): one gray plane when c
// is 1 (the images are gray), else red, green and blue, with gray images
// replicated and alpha dropped (the color values are not premultiplied).
func appendPlanes(pix []uint8, img image.Image, c int) []uint8 {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	start := len(pix)
	pix = slices.Grow(pix, c*h*w)[:start+c*h*w]
	planes := pix[start:]
	plane := h * w
	for y := range h {
		for x := range w {
			i := y*w + x
			if g, ok := img.(*image.Gray); ok {
				v := g.Pix[g.PixOffset(b.Min.X+x, b.Min.Y+y)]
				for ch := range c {
					planes[ch*plane+i] = v
				}
				continue
			}
			if c == 1 {
				planes[i] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
				continue
			}
			v := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			planes[i], planes[plane+i], planes[2*plane+i] = v.R, v.G, v.B
		}
	}
	return pix
}
