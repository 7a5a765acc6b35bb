package ec2

import "testing"

func TestWildcard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbb", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*-1?", "us-east-1a", true},
		{`a\*c`, "a*c", true},
		{`a\*c`, "abc", false},
		{`a\?`, "a?", true},
		{"**a", "ba", true},
		{"", "", true},
		{"", "x", false},
		{"10.0.*", "10.0.1.0/24", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			if got := wildcard(tt.pattern, tt.s); got != tt.want {
				t.Errorf("wildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestNormProtocol(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"tcp", "tcp", false}, {"TCP", "tcp", false}, {"6", "tcp", false},
		{"17", "udp", false}, {"1", "icmp", false}, {"58", "icmpv6", false},
		{"-1", "-1", false}, {"all", "-1", false}, {"50", "50", false},
		{"256", "", true}, {"ipx", "", true}, {"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := normProtocol(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("normProtocol(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix, id string
		want       bool
	}{
		{"vpc", "vpc-0123456789abcdef0", true},
		{"vpc", "vpc-01234567", true},
		{"vpc", "vpc-0123456789ABCDEF0", false},
		{"vpc", "vpc-0123", false},
		{"vpc", "subnet-01234567", false},
		{"vpc", "vpc-cidr-assoc-01234567", false},
		{"sg", "sgr-01234567", false},
		{"sgr", "sgr-01234567", true},
	}
	for _, tt := range tests {
		if got := validID(tt.prefix, tt.id); got != tt.want {
			t.Errorf("validID(%q, %q) = %v, want %v", tt.prefix, tt.id, got, tt.want)
		}
	}
	if id := newID("vpc"); !validID("vpc", id) {
		t.Errorf("newID made %q", id)
	}
}
