package npy

import (
	"fmt"
	"strconv"
	"strings"
)

// header is the decoded .npy header dictionary.
type header struct {
	descr   string
	fortran bool
	shape   []int
}

// parseHeader decodes the Python dict literal of a .npy header, e.g.
// "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }". Like NumPy
// it requires exactly the keys descr, fortran_order and shape.
func parseHeader(s string) (header, error) {
	p := &litParser{s: s}
	v, err := p.value(0)
	if err == nil {
		p.skipSpace()
		if p.pos != len(p.s) {
			err = p.errorf("unexpected %q after the dictionary", p.rest())
		}
	}
	if err != nil {
		return header{}, fmt.Errorf("%w: %v", ErrHeader, err)
	}
	d, ok := v.(map[string]any)
	if !ok {
		return header{}, fmt.Errorf("%w: not a dictionary: %.60q", ErrHeader, strings.TrimSpace(s))
	}
	var h header
	for k := range d {
		if k != "descr" && k != "fortran_order" && k != "shape" {
			return header{}, fmt.Errorf("%w: unexpected key %q", ErrHeader, k)
		}
	}
	switch descr := d["descr"].(type) {
	case string:
		h.descr = descr
	case nil:
		return header{}, fmt.Errorf("%w: missing key 'descr'", ErrHeader)
	case []any:
		return header{}, fmt.Errorf("%w: structured dtype", ErrDType)
	default:
		return header{}, fmt.Errorf("%w: 'descr' is not a string", ErrHeader)
	}
	switch fo := d["fortran_order"].(type) {
	case bool:
		h.fortran = fo
	case nil:
		return header{}, fmt.Errorf("%w: missing key 'fortran_order'", ErrHeader)
	default:
		return header{}, fmt.Errorf("%w: 'fortran_order' is not True or False", ErrHeader)
	}
	switch shape := d["shape"].(type) {
	case tuple:
		h.shape = make([]int, len(shape))
		for i, e := range shape {
			n, ok := e.(int)
			if !ok {
				return header{}, fmt.Errorf("%w: 'shape' element %d is not an integer", ErrHeader, i)
			}
			h.shape[i] = n
		}
	case nil:
		return header{}, fmt.Errorf("%w: missing key 'shape'", ErrHeader)
	default:
		return header{}, fmt.Errorf("%w: 'shape' is not a tuple", ErrHeader)
	}
	return h, nil
}

// tuple is a parsed Python tuple; lists parse as []any.
type tuple []any

// maxDepth bounds nesting so that hostile headers cannot exhaust the stack.
const maxDepth = 32

// litParser parses the subset of Python literals found in .npy headers:
// dicts, tuples, lists, strings, integers, True, False and None.
type litParser struct {
	s   string
	pos int
}

func (p *litParser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: "+format, append([]any{p.pos}, args...)...)
}

func (p *litParser) rest() string {
	r := p.s[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *litParser) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *litParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting deeper than %d", maxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.s) {
		return nil, p.errorf("unexpected end of header")
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.dict(depth)
	case c == '(':
		items, n, err := p.sequence(depth, ')')
		if err != nil {
			return nil, err
		}
		if n == 1 && !strings.HasSuffix(strings.TrimRight(p.s[:p.pos-1], " \t\r\n"), ",") {
			return items[0], nil // parenthesized expression, not a tuple
		}
		return tuple(items), nil
	case c == '[':
		items, _, err := p.sequence(depth, ']')
		return items, err
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		return p.integer()
	default:
		for _, kw := range []struct {
			word string
			v    any
		}{{"True", true}, {"False", false}, {"None", nil}} {
			if strings.HasPrefix(p.s[p.pos:], kw.word) {
				p.pos += len(kw.word)
				return kw.v, nil
			}
		}
		return nil, p.errorf("unexpected %q", p.rest())
	}
}

func (p *litParser) dict(depth int) (any, error) {
	p.pos++ // '{'
	d := map[string]any{}
	for {
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return d, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, p.errorf("dictionary key is not a string")
		}
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return nil, p.errorf("expected ':' after key %q", key)
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, dup := d[key]; dup {
			return nil, p.errorf("duplicate key %q", key)
		}
		d[key] = v
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return d, nil
		}
		return nil, p.errorf("expected ',' or '}' in dictionary")
	}
}

// sequence parses items up to the closing byte and returns them with their count.
func (p *litParser) sequence(depth int, closing byte) ([]any, int, error) {
	p.pos++ // opening bracket
	items := []any{}
	for {
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == closing {
			p.pos++
			return items, len(items), nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, 0, err
		}
		items = append(items, v)
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == closing {
			p.pos++
			return items, len(items), nil
		}
		return nil, 0, p.errorf("expected ',' or %q", closing)
	}
}

func (p *litParser) str() (any, error) {
	quote := p.s[p.pos]
	p.pos++
	var sb strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == quote:
			p.pos++
			return sb.String(), nil
		case c == '\\':
			if p.pos+1 >= len(p.s) {
				return nil, p.errorf("unterminated string")
			}
			// Descriptors never need escapes; keep the escaped byte verbatim.
			sb.WriteByte(p.s[p.pos+1])
			p.pos += 2
		case c == '\n':
			return nil, p.errorf("newline in string")
		default:
			sb.WriteByte(c)
			p.pos++
		}
	}
	return nil, p.errorf("unterminated string")
}

func (p *litParser) integer() (any, error) {
	start := p.pos
	if p.s[p.pos] == '-' || p.s[p.pos] == '+' {
		p.pos++
	}
	digits := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == digits {
		return nil, p.errorf("expected digits")
	}
	// Python 2 era files may carry a long suffix, e.g. (3L, 4L).
	lit := p.s[start:p.pos]
	if p.pos < len(p.s) && (p.s[p.pos] == 'L' || p.s[p.pos] == 'l') {
		p.pos++
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil || n != int64(int(n)) {
		return nil, p.errorf("integer %q out of range", lit)
	}
	return int(n), nil
}
