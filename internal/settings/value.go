package settings

import "time"

// A Value is a flag whose text parse reads into a T. Its String is the
// value as typed, so --print-config shows it as the user gave it; an
// empty value sets the default again.
type Value[T any] struct {
	dst   *T
	raw   string
	def   T
	parse func(string) (T, error)
	typ   string
}

// NewValue returns a Value flag writing into dst, set to def; typ names
// the value in --help.
func NewValue[T any](dst *T, def string, parse func(string) (T, error), typ string) *Value[T] {
	v := &Value[T]{dst: dst, parse: parse, typ: typ}
	if def != "" {
		var err error
		if v.def, err = parse(def); err != nil {
			panic("settings.NewValue: bad default " + def)
		}
	}
	v.raw, *dst = def, v.def
	return v
}

// NewDuration returns a Value flag holding a time.Duration.
func NewDuration(dst *time.Duration, def string, parse func(string) (time.Duration, error)) *Value[time.Duration] {
	return NewValue(dst, def, parse, "duration")
}

// Set parses s.
func (v *Value[T]) Set(s string) error {
	x := v.def
	if s != "" {
		var err error
		if x, err = v.parse(s); err != nil {
			return err
		}
	}
	v.raw, *v.dst = s, x
	return nil
}

func (v *Value[T]) String() string { return v.raw }

// Type names the value in --help.
func (v *Value[T]) Type() string { return v.typ }
