package reorder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Profile holds the device constants of PCM programming.
type Profile struct {
	// TUpUS and TDownUS are the time in microseconds to move one cell one
	// level up (towards a larger weight magnitude) or down.
	TUpUS   float64 `json:"t_up_us"`
	TDownUS float64 `json:"t_down_us"`
	// EUp and EDown are the energy of one level step up or down, in the
	// profile's unit.
	EUp   float64 `json:"e_up"`
	EDown float64 `json:"e_down"`
	// Endurance is how many level steps a cell survives.
	Endurance float64 `json:"endurance"`
}

// DefaultProfile returns the reference's constants: a step up takes 0.5 us
// and 9 energy units, a step down 20 us and 40 units (analyze_wt in
// reorder.py of zhuhanqing/ELight; the energy unit is arbitrary). Neither
// the paper nor its code gives an endurance: 1e8 level steps per cell is an
// assumed order of magnitude from the range usually quoted for PCM cells
// (about 1e6 to 1e9 and above), not a measured figure. Set it from the
// device's data for lifetimes that mean something.
func DefaultProfile() Profile {
	return Profile{TUpUS: 0.5, TDownUS: 20, EUp: 9, EDown: 40, Endurance: 1e8}
}

// fields lists the constants under their JSON names, so messages name a
// field as the file spells it.
func (p Profile) fields() []namedValue {
	return []namedValue{{"t_up_us", p.TUpUS}, {"t_down_us", p.TDownUS}, {"e_up", p.EUp}, {"e_down", p.EDown}, {"endurance", p.Endurance}}
}

// namedValue is a profile constant and its JSON name.
type namedValue struct {
	name string
	v    float64
}

// Validate reports a negative or non-finite constant, or an endurance that
// is not positive (lifetimes divide by it).
func (p Profile) Validate() error {
	for _, f := range p.fields() {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return fmt.Errorf("%s is %v, want a finite value >= 0", f.name, f.v)
		}
	}
	if p.Endurance == 0 {
		return errors.New("endurance is 0, want a positive number of writes")
	}
	return nil
}

// LoadProfile reads a device profile from a JSON object with all five
// fields, for example
//
//	{"t_up_us": 0.5, "t_down_us": 20, "e_up": 9, "e_down": 40, "endurance": 1e8}
//
// A missing, unknown or negative field is an error naming the field and the
// file.
func LoadProfile(path string) (Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, err
	}
	p, err := parseProfile(data)
	if err != nil {
		return Profile{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// parseProfile decodes and validates a profile.
func parseProfile(data []byte) (Profile, error) {
	// Pointers tell a missing field from an explicit zero.
	var raw struct {
		TUpUS     *float64 `json:"t_up_us"`
		TDownUS   *float64 `json:"t_down_us"`
		EUp       *float64 `json:"e_up"`
		EDown     *float64 `json:"e_down"`
		Endurance *float64 `json:"endurance"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Profile{}, fmt.Errorf("device profile: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Profile{}, errors.New("device profile: data after the JSON object")
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{{"t_up_us", raw.TUpUS}, {"t_down_us", raw.TDownUS}, {"e_up", raw.EUp}, {"e_down", raw.EDown}, {"endurance", raw.Endurance}} {
		if f.v == nil {
			return Profile{}, fmt.Errorf("device profile: missing field %q", f.name)
		}
	}
	p := Profile{TUpUS: *raw.TUpUS, TDownUS: *raw.TDownUS, EUp: *raw.EUp, EDown: *raw.EDown, Endurance: *raw.Endurance}
	if err := p.Validate(); err != nil {
		return Profile{}, fmt.Errorf("device profile: %w", err)
	}
	return p, nil
}
