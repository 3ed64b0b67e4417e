package settings

import "time"

// Duration is a flag that holds a time.Duration, read by parse. Its String
// is the value as typed, so --print-config shows it as the user gave it;
// an empty value sets the default again.
type Duration struct {
	dst   *time.Duration
	raw   string
	def   time.Duration
	parse func(string) (time.Duration, error)
}

// NewDuration returns a Duration flag writing into dst, set to def.
func NewDuration(dst *time.Duration, def string, parse func(string) (time.Duration, error)) *Duration {
	d := &Duration{dst: dst, parse: parse}
	if def != "" {
		var err error
		if d.def, err = parse(def); err != nil {
			panic("settings.NewDuration: bad default " + def)
		}
	}
	d.raw, *dst = def, d.def
	return d
}

// Set parses s.
func (d *Duration) Set(s string) error {
	v := d.def
	if s != "" {
		var err error
		if v, err = d.parse(s); err != nil {
			return err
		}
	}
	d.raw, *d.dst = s, v
	return nil
}

func (d *Duration) String() string { return d.raw }

// Type names the value in --help.
func (d *Duration) Type() string { return "duration" }
