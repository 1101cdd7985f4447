package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/elight-photonic/elight/reorder"
)

// Chart sizes in points; 720 pt is 960 CSS pixels, the page's column.
const (
	chartWidth  = vg.Length(720)
	chartHeight = vg.Length(330)
	legendWidth = vg.Length(120)
	// tileMax keeps a chip of few cores from blowing one core up to the
	// page's width.
	tileMax = vg.Length(170)
	tileGap = vg.Length(10)
)

// sans is Liberation Sans, which gonum/plot ships; the page's CSS falls
// back to Arial and Helvetica, which share its metrics.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns a plot with sans-serif text, which reads better than
// gonum/plot's default serif at small sizes.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = 6
	setFont(&p.Title.TextStyle, 12)
	setFont(&p.X.Label.TextStyle, 10)
	setFont(&p.Y.Label.TextStyle, 10)
	setFont(&p.X.Tick.Label, 9)
	setFont(&p.Y.Tick.Label, 9)
	setFont(&p.Legend.TextStyle, 10)
	return p
}

func setFont(s *text.Style, size vg.Length) { s.Font = font.From(sans, size) }

// renderSVG draws paint on an SVG canvas of the given size and returns the
// SVG element ready to inline in HTML. gonum/plot reports impossible
// drawings (a NaN, an empty range) by panicking; a report is read from a
// file, so such a value is the file's fault and comes back as an error.
func renderSVG(what string, width, height vg.Length, paint func(draw.Canvas)) (svg template.HTML, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("drawing the %s chart: %v", what, p)
		}
	}()
	c := vgsvg.New(width, height)
	paint(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	return template.HTML(inlineSVG(buf.String())), nil
}

// inlineSVG turns vgsvg's stand-alone document into an element for an
// HTML body. The XML prolog has no place there; the namespace declarations
// are implied by HTML's parser (xlink:href included) and would be the
// page's only http:// strings; and vgsvg labels its PNG data URIs as JPEG.
func inlineSVG(doc string) string {
	if i := strings.Index(doc, "<svg"); i >= 0 {
		doc = doc[i:]
	}
	doc = strings.Replace(doc, "\n\txmlns=\"http://www.w3.org/2000/svg\"", "", 1)
	doc = strings.Replace(doc, "\n\txmlns:xlink=\"http://www.w3.org/1999/xlink\"", "", 1)
	doc = strings.ReplaceAll(doc, "data:image/jpg;base64,", "data:image/png;base64,")
	// gonum/plot means an image to fill its rectangle, as PDF and PNG
	// output do; SVG's default keeps the aspect ratio, which would shrink
	// the colour bar, one pixel tall, to a hairline.
	return strings.ReplaceAll(doc, "<image ", `<image preserveAspectRatio="none" `)
}

// series is one bar of every group of a grouped bar chart.
type series struct {
	name   string
	values []float64
}

// groupedBars adds one bar chart per series to p, side by side in every
// group, and returns the legend for them; dataWidth is roughly the width
// the bars share.
func groupedBars(p *plot.Plot, groups []string, ss []series, colors []color.Color, dataWidth vg.Length) (plot.Legend, error) {
	legend := plot.NewLegend()
	setFont(&legend.TextStyle, 10)
	legend.Top, legend.Left = true, true
	legend.Padding = 4
	w := dataWidth / vg.Length(len(groups)) * 0.8 / vg.Length(len(ss))
	for i, s := range ss {
		b, err := plotter.NewBarChart(plotter.Values(s.values), w)
		if err != nil {
			return legend, fmt.Errorf("%s: %w", s.name, err)
		}
		b.Color = colors[i%len(colors)]
		b.LineStyle.Width = 0
		b.Offset = (vg.Length(i) - vg.Length(len(ss)-1)/2) * w
		p.Add(b)
		legend.Add(s.name, b)
	}
	p.NominalX(groups...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	// Horizontal lines only: vertical ones would run through the middle
	// bar of every group.
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	p.Add(grid)
	// Whole groups on the axis: the data range ends at the centres of the
	// outer groups, and gonum/plot would let their bars hang over the
	// frame and the grid.
	p.X.Min, p.X.Max = -0.5, float64(len(groups))-0.5
	return legend, nil
}

// withLegend draws p and, to its right, the legend, so the legend never
// covers a bar.
func withLegend(p *plot.Plot, l plot.Legend) func(draw.Canvas) {
	return func(dc draw.Canvas) {
		p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
		width := dc.Max.X - dc.Min.X
		l.Draw(draw.Crop(dc, width-legendWidth+12, 0, 0, -30))
	}
}

// strategyColors tells the five programming orders apart; Dark2 is a
// ColorBrewer set legible on white and for common colour blindness.
func strategyColors() []color.Color {
	p, err := brewer.GetPalette(brewer.TypeQualitative, "Dark2", len(reorder.Strategies()))
	if err != nil {
		panic(err) // Dark2 has 8 colours
	}
	return p.Colors()
}

// strategyName labels the schedule's strategy in legends.
func (r *Report) strategyName(s reorder.Strategy) string {
	if s == r.Strategy {
		return string(s) + " (schedule)"
	}
	return string(s)
}

func (r *Report) layerNames() []string {
	names := make([]string, len(r.Layers))
	for i, l := range r.Layers {
		names[i] = l.Name
	}
	return names
}

// writesChart draws the writes of every layer, a group of bars per layer,
// one bar per strategy. The strategies differ 10 to 100 times, so the axis
// is logarithmic.
func (r *Report) writesChart() (template.HTML, error) {
	p := newPlot("Writes per layer")
	p.Y.Label.Text = "writes (level steps)"
	var ss []series
	for _, s := range reorder.Strategies() {
		v := make([]float64, len(r.Layers))
		for i := range r.Layers {
			v[i] = float64(r.Layers[i].Writes.Get(s))
		}
		ss = append(ss, series{r.strategyName(s), v})
	}
	l, err := groupedBars(p, r.layerNames(), ss, strategyColors(), chartWidth-legendWidth-70)
	if err != nil {
		return "", err
	}
	logAxis(&p.Y, ss)
	return renderSVG("writes", chartWidth, chartHeight, withLegend(p, l))
}

// lifetimeChart draws the lifetime of every layer and of the whole model
// per strategy; a lifetime of 0 (nothing written) is unlimited and drawn to
// the top of the axis, which unlimited then reports.
func (r *Report) lifetimeChart() (svg template.HTML, unlimited bool, err error) {
	p := newPlot("Lifetime: inferences until the most-written cell wears out")
	p.Y.Label.Text = "inferences"
	groups := append(r.layerNames(), "whole model")
	var ss []series
	for _, s := range reorder.Strategies() {
		v := make([]float64, 0, len(groups))
		for i := range r.Layers {
			v = append(v, r.Layers[i].Lifetime.Get(s))
		}
		v = append(v, r.Totals.Lifetime.Get(s))
		ss = append(ss, series{r.strategyName(s), v})
	}
	// The top of the axis comes from the finite lifetimes; unlimited ones
	// reach it.
	top := logAxis(&plot.Axis{}, ss)
	for _, s := range ss {
		for i, v := range s.values {
			if v == 0 {
				s.values[i] = top
				unlimited = true
			}
		}
	}
	l, err := groupedBars(p, groups, ss, strategyColors(), chartWidth-legendWidth-70)
	if err != nil {
		return "", false, err
	}
	logAxis(&p.Y, ss)
	svg, err = renderSVG("lifetime", chartWidth, chartHeight, withLegend(p, l))
	return svg, unlimited, err
}

// chipChart draws one figure of the chip per strategy, naive beside
// levelled, on a linear axis: the two differ by tens of percent, which a
// log axis would hide.
func (r *Report) chipChart(title, ylabel string, figure func(*Figures, reorder.Strategy) float64) (template.HTML, error) {
	c := r.Chip
	p := newPlot(title)
	p.Y.Label.Text = ylabel
	var groups []string
	naive, levelled := series{name: "naive"}, series{name: "levelled"}
	for _, s := range reorder.Strategies() {
		groups = append(groups, r.strategyName(s))
		naive.values = append(naive.values, figure(&c.Naive, s))
		levelled.values = append(levelled.values, figure(&c.Levelled, s))
	}
	colors := []color.Color{color.RGBA{0xa0, 0xa0, 0xa0, 0xff}, color.RGBA{0x1b, 0x9e, 0x77, 0xff}}
	l, err := groupedBars(p, groups, []series{naive, levelled}, colors, chartWidth-legendWidth-70)
	if err != nil {
		return "", err
	}
	p.X.Tick.Label.Rotation = 0
	p.X.Tick.Label.XAlign = draw.XCenter
	p.X.Tick.Label.YAlign = draw.YTop
	p.Y.Min = 0
	p.Y.Max *= 1.06 // room above the tallest bar, which would touch the frame
	p.Y.Tick.Marker = linearTicks{}
	return renderSVG(title, chartWidth, 260, withLegend(p, l))
}

// heatMap draws the writes per inference of every cell of every physical
// core, the cores tiled in a grid under one colour scale, with a colour
// bar; hottest describes the extremes in words.
func (r *Report) heatMap() (svg template.HTML, hottest string, err error) {
	c := r.Chip
	k := r.Config.Block
	n := len(c.CellWrites)
	if n == 0 {
		return "", "", fmt.Errorf("chip: cell_writes is empty, so there is no heat map to draw")
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	var hotCore, hotCell int
	for i, cells := range c.CellWrites {
		if k <= 0 || len(cells) != k*k {
			return "", "", fmt.Errorf("chip: cell_writes of core %d holds %d cells, want %d (block %d squared)", i, len(cells), k*k, k)
		}
		for j, v := range cells {
			lo = min(lo, v)
			if v > hi {
				hi, hotCore, hotCell = v, i, j
			}
		}
	}
	hottest = fmt.Sprintf("The most-written cell is row %d, column %d of core %d: %s writes per inference; the least-written cell takes %s.",
		hotCell/k, hotCell%k, hotCore, thousands(hi), thousands(lo))
	zmin, zmax := float64(lo), float64(hi)
	if zmin == zmax {
		zmax = zmin + 1 // every cell alike: any one colour will do, but the scale needs a range
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(zmin)
	cm.SetMax(zmax)
	pal := cm.Palette(256)

	cols := min(n, int(math.Ceil(math.Sqrt(2*float64(n)))))
	rows := (n + cols - 1) / cols
	side := min(tileMax, (chartWidth-vg.Length(cols-1)*tileGap)/vg.Length(cols))
	var tiles []*plot.Plot
	for i, cells := range c.CellWrites {
		title := fmt.Sprintf("core %d", i)
		if !slices.ContainsFunc(cells, func(v int64) bool { return v != 0 }) {
			title += " (idle)" // told apart from a core of cold cells
		}
		p := newPlot(title)
		setFont(&p.Title.TextStyle, 9)
		p.Title.Padding = 2
		p.HideAxes()
		h := plotter.NewHeatMap(coreGrid{k, cells}, pal)
		h.Min, h.Max = zmin, zmax
		// One pixel per cell: a vector heat map of 64 cores of 64 x 64
		// cells would be a quarter of a million rectangles.
		h.Rasterized = true
		p.Add(h)
		tiles = append(tiles, p)
	}
	titleH := tiles[0].Title.TextStyle.Rectangle("core 0").Size().Y + tiles[0].Title.Padding
	const barH = vg.Length(70)
	// 1 pt round the tiles keeps the frames of the outer ones on the page.
	width := vg.Length(cols)*side + vg.Length(cols-1)*tileGap + 2
	height := vg.Length(rows)*(side+titleH) + vg.Length(rows-1)*tileGap + barH
	bar := newPlot("")
	bar.HideY()
	bar.X.Label.Text = "writes per cell per inference"
	bar.X.Tick.Marker = linearTicks{}
	bar.Add(&plotter.ColorBar{ColorMap: cm})
	svg, err = renderSVG("heat map", width, height, func(dc draw.Canvas) {
		grid := draw.Crop(dc, 0, 0, barH, 0)
		t := draw.Tiles{Cols: cols, Rows: rows, PadX: tileGap, PadY: tileGap, PadLeft: 1, PadRight: 1}
		// A frame, since the hottest cells are near white, like the page.
		frame := draw.LineStyle{Color: color.Gray{0xa0}, Width: 0.5}
		for i, p := range tiles {
			tile := t.At(grid, i%cols, i/cols)
			p.Draw(tile)
			d := p.DataCanvas(tile)
			d.StrokeLines(frame, []vg.Point{d.Min, {X: d.Max.X, Y: d.Min.Y}, d.Max, {X: d.Min.X, Y: d.Max.Y}, d.Min})
		}
		bar.Draw(draw.Crop(dc, width/6, -width/6, 0, -(height - barH + 6)))
	})
	return svg, hottest, err
}

// coreGrid is one core's cells as gonum/plot's grid; the heat map puts
// grid row 0 at the bottom, so rows are flipped to draw cell row 0 on top
// as in the weight matrix.
type coreGrid struct {
	k     int
	cells []int64
}

func (g coreGrid) Dims() (c, r int)   { return g.k, g.k }
func (g coreGrid) Z(c, r int) float64 { return float64(g.cells[(g.k-1-r)*g.k+c]) }
func (g coreGrid) X(c int) float64    { return float64(c) }
func (g coreGrid) Y(r int) float64    { return float64(r) }

// logAxis sets a to a log scale spanning whole decades around the positive
// values of ss and returns its top. Bars start at 0, which a log axis
// cannot place, so they grow from the axis' floor instead.
func logAxis(a *plot.Axis, ss []series) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, v := range s.values {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 1, 10 // nothing positive to show
	}
	elo, ehi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if ehi <= elo {
		ehi = elo + 1
	}
	a.Min, a.Max = math.Pow(10, elo), math.Pow(10, ehi)
	a.Scale = floorLog{}
	a.Tick.Marker = logTicks{}
	return a.Max
}

// floorLog is plot.LogScale with values below the axis' floor (a bar's
// base at 0) placed on the floor rather than panicking.
type floorLog struct{}

func (floorLog) Normalize(min, max, x float64) float64 {
	x = math.Max(x, min)
	return (math.Log(x) - math.Log(min)) / (math.Log(max) - math.Log(min))
}

// logTicks labels every decade with an SI prefix (10k, 1M) and marks the
// steps between; plot.LogTicks would print 1e+06.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		decade := math.Pow(10, e)
		ticks = append(ticks, plot.Tick{Value: decade, Label: si(decade)})
		for m := 2.0; m < 10; m++ {
			if v := m * decade; v < max {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// linearTicks labels round multiples (1, 2 or 5 times a power of ten) of
// which 3 to 7 fit, with SI prefixes; plot.DefaultTicks labels as few as
// two and writes 2.5e+07.
type linearTicks struct{}

func (linearTicks) Ticks(min, max float64) []plot.Tick {
	span := max - min
	if !(span > 0) || math.IsInf(span, 0) {
		return []plot.Tick{{Value: min, Label: si(min)}}
	}
	step := math.Pow(10, math.Floor(math.Log10(span/7)))
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(m*step) <= 7 {
			step *= m
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: si(v)})
	}
	return ticks
}

// si writes v with an SI prefix: 25M rather than 2.5e+07.
func si(v float64) string {
	for _, u := range []struct {
		scale  float64
		prefix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(v) >= u.scale {
			return strconv.FormatFloat(v/u.scale, 'g', 4, 64) + u.prefix
		}
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
