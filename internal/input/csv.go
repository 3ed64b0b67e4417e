package input

import (
	"errors"
	"strings"
)

// csvSep is the separator of --csv's columns: --colsep's text, else a
// comma.
func (cfg *Config) csvSep() string {
	if cfg.Colsep != nil && cfg.Colsep.String() != "" {
		return cfg.Colsep.String()
	}
	return ","
}

// csvFields splits one CSV record into its fields as GNU's --csv does
// (perl's Text::CSV with binary on and its other defaults): fields are
// separated by sep; a field that starts with a quote runs to the closing
// quote, holding separators, newlines and doubled quotes ("" for ");
// a quote anywhere else is an error, as is text after a closing quote.
// A "\r" ending the record is the end of a CRLF line, not data.
func csvFields(record, sep string) ([]string, error) {
	record = strings.TrimSuffix(record, "\r")
	var fields []string
	for more := true; more; {
		var field string
		if rest, ok := strings.CutPrefix(record, `"`); ok {
			var err error
			if field, record, more, err = quotedField(rest, sep); err != nil {
				return nil, err
			}
		} else {
			field, record, more = strings.Cut(record, sep)
			if strings.Contains(field, `"`) {
				return nil, errors.New(`a quote inside an unquoted field (quote the field and double the quote: "a""b")`)
			}
		}
		fields = append(fields, field)
	}
	return fields, nil
}

// quotedField reads a quoted field's text, s after its opening quote, up
// to the closing quote: the field, what follows its separator, and
// whether a separator followed.
func quotedField(s, sep string) (field, rest string, more bool, err error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			return "", "", false, errors.New("a quoted field is not closed")
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		if after, ok := strings.CutPrefix(s, `"`); ok {
			b.WriteByte('"')
			s = after
			continue
		}
		if s == "" {
			return b.String(), "", false, nil
		}
		if after, ok := strings.CutPrefix(s, sep); ok {
			return b.String(), after, true, nil
		}
		return "", "", false, errors.New(`text after a closing quote (a quote inside a quoted field is doubled: "a""b")`)
	}
}
