package finding

import "testing"

func TestParseSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Severity
		wantErr bool
	}{
		{"low", SeverityLow, false},
		{"MEDIUM", SeverityMedium, false},
		{" high ", SeverityHigh, false},
		{"critical", SeverityCritical, false},
		{"none", SeverityNone, false},
		{"severe", SeverityNone, true},
	}
	for _, tt := range tests {
		got, err := ParseSeverity(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseSeverity(%q) = %v, %v", tt.in, got, err)
		}
		if err == nil {
			var s Severity
			if err := s.UnmarshalText([]byte(got.String())); err != nil || s != got {
				t.Errorf("round trip of %v", got)
			}
		}
	}
	r := Range{Filename: "a.tf", Start: Pos{3, 5}, End: Pos{6, 1}}
	if r.String() != "a.tf:3:5" || !r.ContainsLine(6) || r.ContainsLine(7) || (Range{Filename: "x"}).String() != "x" {
		t.Error("Range helpers")
	}
}
