package ghci

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Output is one step output.
type Output struct {
	Name, Value string
}

var outputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// FormatOutput renders one output in GITHUB_OUTPUT's multiline syntax:
//
//	name<<DELIM
//	value
//	DELIM
//
// It refuses a delimiter that occurs in the value (the output would end
// early) and a name GitHub would not accept.
func FormatOutput(name, value, delim string) (string, error) {
	if !outputName.MatchString(name) {
		return "", fmt.Errorf("output name %q: use letters, digits, - and _", name)
	}
	if delim == "" || strings.Contains(value, delim) || strings.ContainsAny(delim, "\r\n") {
		return "", fmt.Errorf("output %s: the delimiter %q is unusable for its value", name, delim)
	}
	return name + "<<" + delim + "\n" + value + "\n" + delim + "\n", nil
}

// newDelim returns a random delimiter absent from every value.
func newDelim(outs []Output) string {
	for {
		var b [12]byte
		_, _ = rand.Read(b[:])
		d := "ghadelimiter_" + hex.EncodeToString(b[:])
		clash := false
		for _, o := range outs {
			if strings.Contains(o.Value, d) {
				clash = true
				break
			}
		}
		if !clash {
			return d
		}
	}
}

// FormatOutputs renders outputs with one fresh random delimiter.
func FormatOutputs(outs []Output) (string, error) {
	d := newDelim(outs)
	var b strings.Builder
	for _, o := range outs {
		s, err := FormatOutput(o.Name, o.Value, d)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// WriteOutputs appends outputs to the GITHUB_OUTPUT file at path ("":
// nothing is written).
func WriteOutputs(path string, outs []Output) error {
	if path == "" || len(outs) == 0 {
		return nil
	}
	s, err := FormatOutputs(outs)
	if err != nil {
		return err
	}
	return appendFile(path, s)
}

// AppendSummary appends Markdown to the GITHUB_STEP_SUMMARY file at path
// ("": nothing is written).
func AppendSummary(path, markdown string) error {
	if path == "" || markdown == "" {
		return nil
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	return appendFile(path, markdown)
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
