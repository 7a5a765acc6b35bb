package attr

import (
	"encoding/base64"
	"strings"
)

// EncodeKeyPart encodes one key attribute (S, N or B) as a string that is
// equal for equal values and never contains '.', so that partition and sort
// parts can be joined with '.' and a partition's items share a prefix.
func EncodeKeyPart(v Value) string {
	switch v.T {
	case S:
		return "S" + base64.RawURLEncoding.EncodeToString([]byte(v.S))
	case N:
		return "N" + base64.RawURLEncoding.EncodeToString([]byte(v.S))
	case B:
		return "B" + base64.RawURLEncoding.EncodeToString(v.B)
	}
	return "?"
}

// DecodeKeyPart reverses EncodeKeyPart.
func DecodeKeyPart(s string) (Value, bool) {
	if s == "" {
		return Value{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(s[1:])
	if err != nil {
		return Value{}, false
	}
	switch s[0] {
	case 'S':
		return Str(string(raw)), true
	case 'N':
		return Value{T: N, S: string(raw)}, true
	case 'B':
		return Bin(raw), true
	}
	return Value{}, false
}

// KeySep separates the encoded partition and sort key parts.
const KeySep = "."

// SplitKey splits an encoded key into its parts.
func SplitKey(k string) []string { return strings.Split(k, KeySep) }
