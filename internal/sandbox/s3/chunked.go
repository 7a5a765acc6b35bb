package s3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// ChunkedReader decodes the aws-chunked content encoding that SDKs use to
// stream a body whose checksum is sent after it, in a trailer:
//
//	<hex size>[;chunk-signature=<sig>]\r\n
//	<size bytes>\r\n
//	…
//	0[;chunk-signature=<sig>]\r\n
//	x-amz-checksum-crc32:<base64>\r\n      (trailers, optional)
//	x-amz-trailer-signature:<sig>\r\n      (signed trailers only)
//	\r\n
//
// It covers STREAMING-UNSIGNED-PAYLOAD-TRAILER and the signed variants
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER); chunk signatures are not
// verified (the sandbox accepts any credentials). Decoding streams with a
// small fixed buffer: nothing is held beyond one header line.
//
// Read returns the decoded payload; after it returns io.EOF, Trailers holds
// the trailer headers. Malformed input yields a *ChunkError, a truncated
// stream io.ErrUnexpectedEOF.
type ChunkedReader struct {
	br       *bufio.Reader
	left     int64 // bytes left in the current chunk
	inChunk  bool
	err      error
	trailers http.Header
	decoded  int64
}

// Limits on the framing (not on the payload).
const (
	maxChunkLine     = 4096
	maxTrailerBytes  = 16 << 10
	maxTrailerLines  = 32
	maxChunkSize     = MaxObjectSize
	maxChunkHexWidth = 16
)

// ChunkError reports malformed aws-chunked framing.
type ChunkError struct{ Msg string }

func (e *ChunkError) Error() string { return "aws-chunked: " + e.Msg }

func chunkErr(format string, args ...any) error {
	return &ChunkError{Msg: fmt.Sprintf(format, args...)}
}

// NewChunkedReader decodes the aws-chunked stream r.
func NewChunkedReader(r io.Reader) *ChunkedReader {
	return &ChunkedReader{br: bufio.NewReaderSize(r, maxChunkLine+2), trailers: http.Header{}}
}

// Trailers returns the trailers, complete once Read has returned io.EOF.
func (c *ChunkedReader) Trailers() http.Header { return c.trailers }

// Decoded is the number of payload bytes returned so far.
func (c *ChunkedReader) Decoded() int64 { return c.decoded }

// Read implements io.Reader.
func (c *ChunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	for !c.inChunk {
		size, err := c.readChunkHeader()
		if err != nil {
			c.err = err
			return 0, err
		}
		if size == 0 {
			if err := c.readTrailers(); err != nil {
				c.err = err
				return 0, err
			}
			c.err = io.EOF
			return 0, io.EOF
		}
		c.left, c.inChunk = size, true
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	c.decoded += int64(n)
	if err == io.EOF || (err == nil && n == 0) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		c.err = err
		return n, err
	}
	if c.left == 0 {
		if err := c.expectCRLF(); err != nil {
			c.err = err
			return n, err
		}
		c.inChunk = false
	}
	return n, nil
}

// readLine reads one CRLF-terminated line without the CRLF. A clean EOF
// before any byte of the line is reported as io.EOF.
func (c *ChunkedReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", chunkErr("line longer than %d bytes", maxChunkLine)
	case errors.Is(err, io.EOF):
		if len(line) == 0 {
			return "", io.EOF
		}
		return "", io.ErrUnexpectedEOF
	case err != nil:
		return "", err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return "", chunkErr("line not terminated by CRLF")
	}
	return string(line[:len(line)-2]), nil
}

func (c *ChunkedReader) readChunkHeader() (int64, error) {
	line, err := c.readLine()
	if err == io.EOF {
		return 0, io.ErrUnexpectedEOF
	}
	if err != nil {
		return 0, err
	}
	sizeStr, ext, hasExt := strings.Cut(line, ";")
	if hasExt && !strings.HasPrefix(ext, "chunk-signature=") {
		return 0, chunkErr("unknown chunk extension %q", truncate(ext, 40))
	}
	if sizeStr == "" || len(sizeStr) > maxChunkHexWidth {
		return 0, chunkErr("invalid chunk size %q", truncate(sizeStr, 40))
	}
	size, err := strconv.ParseUint(sizeStr, 16, 64)
	if err != nil {
		return 0, chunkErr("invalid chunk size %q", truncate(sizeStr, 40))
	}
	if size > maxChunkSize {
		return 0, chunkErr("chunk size %d exceeds %d", size, int64(maxChunkSize))
	}
	return int64(size), nil
}

func (c *ChunkedReader) expectCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if b != [2]byte{'\r', '\n'} {
		return chunkErr("chunk data not followed by CRLF")
	}
	return nil
}

// readTrailers reads trailer lines up to the blank line that ends the
// stream. A stream that ends cleanly right after the final chunk (no
// trailer section at all) is accepted.
func (c *ChunkedReader) readTrailers() error {
	total := 0
	for i := 0; ; i++ {
		line, err := c.readLine()
		if err == io.EOF && i == 0 {
			return nil
		}
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		if line == "" {
			break
		}
		total += len(line)
		if i >= maxTrailerLines || total > maxTrailerBytes {
			return chunkErr("too many trailers")
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return chunkErr("malformed trailer %q", truncate(line, 60))
		}
		c.trailers.Add(strings.ToLower(name), strings.TrimSpace(value))
	}
	// Nothing may follow the final CRLF.
	if _, err := c.br.ReadByte(); err != io.EOF {
		if err == nil {
			return chunkErr("data after the final chunk")
		}
		return err
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
