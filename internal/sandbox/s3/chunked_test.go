package s3

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// encodeChunked frames data the way aws-sdk-go-v2 does for
// STREAMING-UNSIGNED-PAYLOAD-TRAILER (signed=false) or with chunk
// signatures (signed=true).
func encodeChunked(data []byte, chunk int, signed bool, trailers ...string) string {
	var b strings.Builder
	ext := ""
	if signed {
		ext = ";chunk-signature=" + strings.Repeat("a", 64)
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		fmt.Fprintf(&b, "%x%s\r\n", n, ext)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	fmt.Fprintf(&b, "0%s\r\n", ext)
	for _, t := range trailers {
		b.WriteString(t + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func crc32Of(b []byte) string {
	h := crc32.NewIEEE()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestChunkedReader(t *testing.T) {
	hello := []byte("hello, world")
	tests := []struct {
		name        string
		in          string
		want        string
		wantTrailer string // x-amz-checksum-crc32
		wantErr     string // substring; "EOF" for io.ErrUnexpectedEOF
	}{
		{"unsigned with trailer", encodeChunked(hello, 5, false, "x-amz-checksum-crc32:"+crc32Of(hello)), "hello, world", crc32Of(hello), ""},
		{"signed chunks", encodeChunked(hello, 64, true), "hello, world", "", ""},
		{"signed with trailer signature", encodeChunked(hello, 4, true, "x-amz-checksum-crc32:"+crc32Of(hello), "x-amz-trailer-signature:"+strings.Repeat("b", 64)), "hello, world", crc32Of(hello), ""},
		{"empty payload", "0\r\n\r\n", "", "", ""},
		{"empty payload with trailer", "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", "", "AAAAAA==", ""},
		{"no trailer section", "3\r\nabc\r\n0\r\n", "abc", "", ""},
		{"uppercase hex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789", "", ""},
		{"trailer spacing", "1\r\nx\r\n0\r\nX-Amz-Checksum-CRC32 : v== \r\n\r\n", "x", "v==", ""},
		{"bad size", "zz\r\nabc\r\n0\r\n\r\n", "", "", "invalid chunk size"},
		{"negative size", "-1\r\nabc\r\n0\r\n\r\n", "", "", "invalid chunk size"},
		{"empty size", "\r\nabc\r\n", "", "", "invalid chunk size"},
		{"huge size", "fffffffffffffffff\r\n", "", "", "invalid chunk size"},
		{"size over limit", "7fffffffffffffff\r\n", "", "", "exceeds"},
		{"missing CRLF after data", "3\r\nabcX\r\n0\r\n\r\n", "abc", "", "not followed by CRLF"},
		{"LF only", "3\nabc\n0\n\n", "", "", "CRLF"},
		{"truncated data", "a\r\nabc", "abc", "", "EOF"},
		{"truncated header", "3", "", "", "EOF"},
		{"no final chunk", "3\r\nabc\r\n", "abc", "", "EOF"},
		{"truncated trailers", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAA", "abc", "", "EOF"},
		{"trailer without colon", "0\r\nnocolon\r\n\r\n", "", "", "malformed trailer"},
		{"data after end", "0\r\n\r\nextra", "", "", "after the final chunk"},
		{"unknown extension", "3;foo=bar\r\nabc\r\n0\r\n\r\n", "", "", "unknown chunk extension"},
		{"line too long", "3;chunk-signature=" + strings.Repeat("a", 5000) + "\r\nabc\r\n", "", "", "longer than"},
		{"too many trailers", "0\r\n" + strings.Repeat("a:b\r\n", 40) + "\r\n", "", "", "too many trailers"},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/onebyte=%v", tt.name, oneByte), func(t *testing.T) {
				var src io.Reader = strings.NewReader(tt.in)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				cr := NewChunkedReader(src)
				var r io.Reader = cr
				if oneByte {
					r = iotest.OneByteReader(cr)
				}
				got, err := io.ReadAll(r)
				if tt.wantErr == "" {
					if err != nil {
						t.Fatalf("err = %v", err)
					}
				} else {
					if err == nil {
						t.Fatalf("no error, want %q (decoded %q)", tt.wantErr, got)
					}
					var ce *ChunkError
					if tt.wantErr == "EOF" {
						if !errors.Is(err, io.ErrUnexpectedEOF) {
							t.Fatalf("err = %v, want unexpected EOF", err)
						}
					} else if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("err = %v, want ChunkError containing %q", err, tt.wantErr)
					}
				}
				if string(got) != tt.want {
					t.Errorf("decoded %q, want %q", got, tt.want)
				}
				if tt.wantErr == "" {
					if v := cr.Trailers().Get("x-amz-checksum-crc32"); v != tt.wantTrailer {
						t.Errorf("trailer = %q, want %q", v, tt.wantTrailer)
					}
					if cr.Decoded() != int64(len(tt.want)) {
						t.Errorf("Decoded() = %d", cr.Decoded())
					}
				}
			})
		}
	}
}

// TestChunkedReaderStreams checks the decoder's memory is bounded by its
// buffer, not by the payload: a 64 MiB stream decodes through a fixed
// buffer.
func TestChunkedReaderStreams(t *testing.T) {
	const chunk = 64 << 10
	const chunks = 1024
	payload := bytes.Repeat([]byte{'x'}, chunk)
	header := []byte(fmt.Sprintf("%x\r\n", chunk))
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < chunks; i++ {
			_, _ = pw.Write(header)
			_, _ = pw.Write(payload)
			_, _ = pw.Write([]byte("\r\n"))
		}
		_, _ = pw.Write([]byte("0\r\n\r\n"))
		_ = pw.Close()
	}()
	n, err := io.Copy(io.Discard, NewChunkedReader(pr))
	if err != nil || n != chunk*chunks {
		t.Fatalf("decoded %d bytes, err %v", n, err)
	}
}

// FuzzChunkedReader feeds arbitrary bytes to the decoder (it must end with
// data or an error, never panic or spin) and checks that whatever the SDK
// encodes decodes back to the same payload and trailer.
func FuzzChunkedReader(f *testing.F) {
	f.Add([]byte("hello world"), uint16(3), []byte(encodeChunked([]byte("abc"), 1, false, "x-amz-checksum-crc32:AAAAAA==")))
	f.Add([]byte{}, uint16(0), []byte("0\r\n\r\n"))
	f.Add([]byte("x"), uint16(1), []byte("5;chunk-signature=abc\r\nhello\r\n0;chunk-signature=def\r\n\r\n"))
	f.Add([]byte("data"), uint16(8192), []byte("ffffffff\r\n"))
	f.Add([]byte("data"), uint16(2), []byte("1\r\nx\r\n0\r\na:b\r\nc\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, raw []byte) {
		cr := NewChunkedReader(bytes.NewReader(raw))
		n, err := io.Copy(io.Discard, io.LimitReader(cr, int64(len(raw))+1))
		if n > int64(len(raw)) {
			t.Fatalf("decoded %d bytes from %d bytes of input", n, len(raw))
		}
		if err == nil {
			// Success means the stream was fully framed; a second read
			// keeps reporting EOF.
			if m, err := cr.Read(make([]byte, 8)); m != 0 || err != io.EOF {
				t.Fatalf("read after EOF = %d, %v", m, err)
			}
		}
		size := int(chunk)
		if size == 0 {
			size = 1
		}
		enc := encodeChunked(data, size, chunk%2 == 0, "x-amz-checksum-crc32:"+crc32Of(data))
		cr = NewChunkedReader(strings.NewReader(enc))
		got, err := io.ReadAll(cr)
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("round trip decoded %d bytes, want %d", len(got), len(data))
		}
		if cr.Trailers().Get("x-amz-checksum-crc32") != crc32Of(data) {
			t.Fatal("round trip lost the trailer")
		}
	})
}
