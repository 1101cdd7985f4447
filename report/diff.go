package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/elight-photonic/elight/reorder"
)

// Change says how a layer of one report relates to the other.
type Change string

// The kinds of layer change.
const (
	Same    Change = "same"    // same name in both reports
	Renamed Change = "renamed" // different name, same matrix shape at the same position
	Added   Change = "added"
	Removed Change = "removed"
)

// LayerDiff compares one layer across two reports. The JSON names are part
// of the diff document pipelines read (see Diff.WriteJSON).
type LayerDiff struct {
	Change    Change `json:"change"`
	OldName   string `json:"old_name"` // empty when added
	NewName   string `json:"new_name"` // empty when removed
	Rows      int    `json:"rows"`     // of the new layer, or of the old one when removed
	Cols      int    `json:"cols"`
	OldWrites int64  `json:"old_writes"` // under the compared strategy; 0 when added
	NewWrites int64  `json:"new_writes"` // 0 when removed
}

// ConfigChange is one configuration field whose value differs between the
// two reports. Values stay in their JSON form so that a field added to
// Config later is compared and printed without code here knowing its type.
type ConfigChange struct {
	// Key is the field's JSON name, nested objects joined by dots
	// (device_profile.endurance); "strategy" is the reports' strategy.
	Key string `json:"key"`
	// Old and New are the JSON values, null where a report lacks the key.
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// Diff is the comparison of an old and a new report.
type Diff struct {
	Strategy reorder.Strategy `json:"strategy"` // strategy whose writes are compared: the new report's
	Layers   []LayerDiff      `json:"layers"`
	OldTotal int64            `json:"old_total"`
	NewTotal int64            `json:"new_total"`
	// Config lists every configuration difference, sorted by key: a
	// write count is only comparable to one made the same way.
	Config []ConfigChange `json:"config_changes"`
}

// Compare matches the layers of two reports, first by node name and then,
// for layers renamed between model versions, by matrix shape in model
// order, and compares their writes under the new report's strategy.
func Compare(old, new *Report) (*Diff, error) {
	d := &Diff{Strategy: new.Strategy, Layers: []LayerDiff{}}
	d.OldTotal, d.NewTotal = old.Totals.Writes.Get(d.Strategy), new.Totals.Writes.Get(d.Strategy)
	var err error
	if d.Config, err = configChanges(old, new); err != nil {
		return nil, err
	}

	match := make([]int, len(new.Layers)) // new index -> old index, -1 if none
	usedOld := make([]bool, len(old.Layers))
	byName := map[string]int{}
	for i, l := range old.Layers {
		byName[l.Name] = i
	}
	for j, l := range new.Layers {
		match[j] = -1
		if i, ok := byName[l.Name]; ok && !usedOld[i] {
			match[j], usedOld[i] = i, true
		}
	}
	// A renamed layer keeps its shape and its place among the unmatched
	// layers: walk both lists in order and pair equal shapes.
	next := 0
	for j, l := range new.Layers {
		if match[j] >= 0 {
			next = max(next, match[j]+1)
			continue
		}
		for i := next; i < len(old.Layers); i++ {
			if !usedOld[i] && old.Layers[i].Rows == l.Rows && old.Layers[i].Cols == l.Cols {
				match[j], usedOld[i], next = i, true, i+1
				break
			}
		}
	}
	for j := range new.Layers {
		nl := &new.Layers[j]
		ld := LayerDiff{Change: Added, NewName: nl.Name, Rows: nl.Rows, Cols: nl.Cols}
		ld.NewWrites = nl.Writes.Get(d.Strategy)
		if i := match[j]; i >= 0 {
			ol := &old.Layers[i]
			ld.OldName = ol.Name
			ld.OldWrites = ol.Writes.Get(d.Strategy)
			ld.Change = Same
			if ol.Name != nl.Name {
				ld.Change = Renamed
			}
		}
		d.Layers = append(d.Layers, ld)
	}
	for i := range old.Layers {
		if !usedOld[i] {
			ol := &old.Layers[i]
			ld := LayerDiff{Change: Removed, OldName: ol.Name, Rows: ol.Rows, Cols: ol.Cols}
			ld.OldWrites = ol.Writes.Get(d.Strategy)
			d.Layers = append(d.Layers, ld)
		}
	}
	return d, nil
}

// configChanges compares the two configs through their JSON forms, so
// that every Config field, including ones added after this code, counts.
func configChanges(old, new *Report) ([]ConfigChange, error) {
	flat := func(r *Report) (map[string]json.RawMessage, error) {
		data, err := json.Marshal(r.Config)
		if err != nil {
			return nil, fmt.Errorf("report config: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber() // an int64 field must not round through float64
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("report config: %w", err)
		}
		m := map[string]json.RawMessage{}
		if err := flatten(m, "", v); err != nil {
			return nil, err
		}
		return m, nil
	}
	o, err := flat(old)
	if err != nil {
		return nil, err
	}
	n, err := flat(new)
	if err != nil {
		return nil, err
	}
	// The strategy sits beside the config, not in it, but changes what
	// the write counts mean as much as any config field.
	if _, ok := n["strategy"]; !ok {
		o["strategy"], _ = json.Marshal(old.Strategy)
		n["strategy"], _ = json.Marshal(new.Strategy)
	}
	keys := map[string]bool{}
	for k := range o {
		keys[k] = true
	}
	for k := range n {
		keys[k] = true
	}
	var changes []ConfigChange
	null := json.RawMessage("null")
	for k := range keys {
		ov, ok := o[k]
		if !ok {
			ov = null
		}
		nv, ok := n[k]
		if !ok {
			nv = null
		}
		if !bytes.Equal(ov, nv) {
			changes = append(changes, ConfigChange{Key: k, Old: ov, New: nv})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Key < changes[j].Key })
	if changes == nil {
		changes = []ConfigChange{} // [] rather than null in the JSON document
	}
	return changes, nil
}

// flatten stores each leaf of v under its dotted key. Arrays are leaves:
// their elements have no names to join.
func flatten(m map[string]json.RawMessage, prefix string, v any) error {
	if obj, ok := v.(map[string]any); ok && (prefix == "" || len(obj) > 0) {
		for k, e := range obj {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if err := flatten(m, key, e); err != nil {
				return err
			}
		}
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("report config %s: %w", prefix, err)
	}
	m[prefix] = data
	return nil
}

// GrowthPercent is the change of total writes in percent of the old total.
func (d *Diff) GrowthPercent() float64 {
	return percent(d.OldTotal, d.NewTotal)
}

func percent(old, new int64) float64 {
	if old == 0 {
		if new == 0 {
			return 0
		}
		return 100
	}
	return 100 * float64(new-old) / float64(old)
}

// Format is a form elight diff prints a Diff in.
type Format string

// The diff formats: a table for people, a document for programs, and a
// table to post on a pull request.
const (
	Text     Format = "text"
	JSON     Format = "json"
	Markdown Format = "markdown"
)

// Formats lists the diff formats, for help texts and error messages.
func Formats() []Format { return []Format{Text, JSON, Markdown} }

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	names := make([]string, 0, 3)
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
		names = append(names, string(f))
	}
	return "", fmt.Errorf("report: unknown diff format %q (want one of %s)", s, strings.Join(names, ", "))
}

// Write prints the diff in format f.
func (d *Diff) Write(w io.Writer, f Format) error {
	switch f {
	case Text:
		return d.WriteText(w)
	case Markdown:
		return d.WriteMarkdown(w)
	case JSON:
		return d.WriteJSON(w)
	}
	return fmt.Errorf("report: unknown diff format %q", f)
}

// WriteText prints the per-layer and total changes as an aligned table,
// then the configuration differences.
func (d *Diff) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "writes under strategy %s (the new report's)\n", d.Strategy)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tmatrix\told\tnew\tchange\t\t")
	for _, l := range d.Layers {
		name, old, new, change, note := l.cells()
		fmt.Fprintf(tw, "%s\t%d x %d\t%s\t%s\t%s\t%s\t\n", name, l.Rows, l.Cols, old, new, change, note)
	}
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%+.2f%%\t\t\n", d.OldTotal, d.NewTotal, d.GrowthPercent())
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Config) == 0 {
		_, err := fmt.Fprintln(w, "same configuration")
		return err
	}
	fmt.Fprintln(w, "configuration differences (old -> new):")
	for _, c := range d.Config {
		if _, err := fmt.Fprintf(w, "  %s: %s -> %s\n", c.Key, c.Old, c.New); err != nil {
			return err
		}
	}
	return nil
}

// WriteMarkdown prints the diff as GitHub-flavoured Markdown, for a
// pipeline to post on a pull request: a line naming the strategy, one
// table row per layer and a total row, then the configuration differences.
func (d *Diff) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "PCM writes under strategy %s (the new report's), old -> new\n\n", code(string(d.Strategy)))
	fmt.Fprintln(w, "| layer | matrix | old writes | new writes | change | note |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|")
	for _, l := range d.Layers {
		name, old, new, change, note := l.cells()
		fmt.Fprintf(w, "| %s | %d x %d | %s | %s | %s | %s |\n", markdownEscape(name), l.Rows, l.Cols, old, new, change, markdownEscape(note))
	}
	fmt.Fprintf(w, "| **total** | | **%d** | **%d** | **%+.2f%%** | |\n\n", d.OldTotal, d.NewTotal, d.GrowthPercent())
	if len(d.Config) == 0 {
		_, err := fmt.Fprintln(w, "Same configuration.")
		return err
	}
	fmt.Fprintln(w, "Configuration differences (old -> new):")
	fmt.Fprintln(w)
	for _, c := range d.Config {
		if _, err := fmt.Fprintf(w, "- %s: %s -> %s\n", code(c.Key), code(string(c.Old)), code(string(c.New))); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON prints the diff as one indented JSON document with a final
// newline: the fields of Diff, LayerDiff and ConfigChange under their JSON
// names, with format_version (FormatVersion, which versions all of this
// package's documents) and growth_percent added, so that a pipeline need
// not recompute the figure --fail-on-increase tests.
func (d *Diff) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		FormatVersion int `json:"format_version"`
		*Diff
		GrowthPercent float64 `json:"growth_percent"`
	}{FormatVersion, d, d.GrowthPercent()})
}

// cells are the layer's table entries shared by the text and Markdown
// tables: name, old and new writes ("-" where the layer is absent), the
// change in percent where both reports have it, and a note.
func (l *LayerDiff) cells() (name, old, new, change, note string) {
	name = l.NewName
	switch l.Change {
	case Renamed:
		note = "renamed from " + l.OldName
	case Added:
		note = "added"
	case Removed:
		name, note = l.OldName, "removed"
	}
	old, new = count(l.OldWrites, l.Change != Added), count(l.NewWrites, l.Change != Removed)
	if l.Change == Same || l.Change == Renamed {
		change = fmt.Sprintf("%+.2f%%", percent(l.OldWrites, l.NewWrites))
	}
	return name, old, new, change, note
}

func count(v int64, present bool) string {
	if !present {
		return "-"
	}
	return fmt.Sprint(v)
}

// markdownEscape keeps a node name from breaking the table or turning
// into emphasis or a link: ONNX names may hold any character.
func markdownEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case strings.ContainsRune("\\`*_[]<>|~#", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// code makes s a Markdown code span. Its fence is longer than any run of
// backticks in s, since a config string may hold backticks and CommonMark
// ends a span at the first run of its fence's length.
func code(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 { // the spaces keep a backtick at either end off the fence; CommonMark strips them
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
