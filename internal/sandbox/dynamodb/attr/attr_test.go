package attr_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-sre/vigil/internal/sandbox/dynamodb/attr"
)

func TestParseNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, wantErr string
	}{
		{"0", "0", ""},
		{"-0", "0", ""},
		{"007", "7", ""},
		{"1.50", "1.5", ""},
		{"+3", "3", ""},
		{"-0.0025", "-0.0025", ""},
		{"1e3", "1000", ""},
		{"1.5E-2", "0.015", ""},
		{"12345678901234567890123456789012345678", "12345678901234567890123456789012345678", ""},
		{"123456789012345678901234567890123456789", "", "more than 38 significant digits"},
		{"1e126", "", "Number overflow"},
		{"9.9e125", "990000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", ""},
		{"1e-130", "0." + strings.Repeat("0", 129) + "1", ""},
		{"1e-131", "", "Number underflow"},
		{"", "", "cannot be converted"},
		{"abc", "", "cannot be converted"},
		{"1.2.3", "", "cannot be converted"},
		{"1e", "", "cannot be converted"},
		{" 1", "", "cannot be converted"},
		{"NaN", "", "cannot be converted"},
		{".5", "0.5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := attr.ParseNumber(tt.in)
			if tt.wantErr != "" {
				var ae *attr.Error
				if !errors.As(err, &ae) || !strings.Contains(ae.Msg, tt.wantErr) {
					t.Fatalf("ParseNumber(%q) = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != tt.want {
				t.Errorf("ParseNumber(%q) = %s, want %s", tt.in, d, tt.want)
			}
		})
	}
}

func TestNumberCmpAndAdd(t *testing.T) {
	t.Parallel()
	num := func(s string) attr.Decimal {
		d, err := attr.ParseNumber(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cmps := []struct {
		a, b string
		want int
	}{
		{"1", "2", -1}, {"10", "9", 1}, {"-1", "1", -1}, {"-10", "-9", -1}, {"0.1", "0.01", 1},
		{"100", "1e2", 0}, {"0", "-0", 0}, {"12", "123", -1}, {"-0.5", "0", -1}, {"1.10", "1.1", 0},
	}
	for _, c := range cmps {
		if got := num(c.a).Cmp(num(c.b)); got != c.want {
			t.Errorf("%s cmp %s = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	adds := []struct{ a, b, want string }{
		{"1", "2", "3"}, {"0.1", "0.2", "0.3"}, {"-5", "3", "-2"}, {"1e3", "1", "1001"}, {"5", "-5", "0"}, {"0", "0.5", "0.5"},
	}
	for _, c := range adds {
		got, err := num(c.a).Add(num(c.b))
		if err != nil || got.String() != c.want {
			t.Errorf("%s + %s = %s, %v; want %s", c.a, c.b, got, err, c.want)
		}
	}
	if _, err := num("99999999999999999999999999999999999999").Add(num("1")); err != nil {
		t.Errorf("carry into a 39th digit that is a trailing zero should fit: %v", err)
	}
	if _, err := num("99999999999999999999999999999999999999").Add(num("0.1")); err == nil {
		t.Errorf("39 significant digits: want an error")
	}
}

func TestValueJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, out, wantErr string
	}{
		{"string", `{"S":"x"}`, `{"S":"x"}`, ""},
		{"empty string", `{"S":""}`, `{"S":""}`, ""},
		{"number canonical", `{"N":"1.50"}`, `{"N":"1.5"}`, ""},
		{"binary", `{"B":"AQI="}`, `{"B":"AQI="}`, ""},
		{"empty binary", `{"B":""}`, `{"B":""}`, ""},
		{"string set", `{"SS":["a","b"]}`, `{"SS":["a","b"]}`, ""},
		{"number set", `{"NS":["1.0","2"]}`, `{"NS":["1","2"]}`, ""},
		{"binary set", `{"BS":["AQ=="]}`, `{"BS":["AQ=="]}`, ""},
		{"map", `{"M":{"a":{"BOOL":true}}}`, `{"M":{"a":{"BOOL":true}}}`, ""},
		{"empty map", `{"M":{}}`, `{"M":{}}`, ""},
		{"empty list", `{"L":[]}`, `{"L":[]}`, ""},
		{"null", `{"NULL":true}`, `{"NULL":true}`, ""},
		{"bool false", `{"BOOL":false}`, `{"BOOL":false}`, ""},
		{"empty value", `{}`, "", "Supplied AttributeValue is empty"},
		{"two types", `{"S":"a","N":"1"}`, "", "more than one datatypes"},
		{"unknown member", `{"X":"a"}`, "", "Supplied AttributeValue is empty"},
		{"bad number", `{"N":"x"}`, "", "cannot be converted into a number"},
		{"empty set", `{"SS":[]}`, "", "may not be empty"},
		{"duplicate set", `{"SS":["a","a"]}`, "", "contains duplicates"},
		{"duplicate number set", `{"NS":["1","1.0"]}`, "", "contains duplicates"},
		{"null false", `{"NULL":false}`, "", "Null attribute value types must have the value of true"},
		{"nested invalid", `{"M":{"a":{}}}`, "", "Supplied AttributeValue is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v attr.Value
			err := json.Unmarshal([]byte(tt.in), &v)
			if tt.wantErr != "" {
				var ae *attr.Error
				if !errors.As(err, &ae) || !strings.Contains(ae.Msg, tt.wantErr) {
					t.Fatalf("decode %s = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(v)
			if err != nil || string(out) != tt.out {
				t.Errorf("round trip %s = %s, %v; want %s", tt.in, out, err, tt.out)
			}
		})
	}
}

func TestKeyPartRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range []attr.Value{attr.Str("a.b/c"), {T: attr.N, S: "-1.5"}, attr.Bin([]byte{0, 1, 2, '.'})} {
		enc := attr.EncodeKeyPart(v)
		if strings.Contains(enc, attr.KeySep) {
			t.Errorf("%q contains the separator", enc)
		}
		back, ok := attr.DecodeKeyPart(enc)
		if !ok || !attr.Equal(back, v) {
			t.Errorf("round trip of %+v = %+v", v, back)
		}
	}
}
