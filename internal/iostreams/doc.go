// Package iostreams holds the three standard streams a vigil command talks
// through, and what is known about them (is stdout a terminal?).
//
// Commands write data (tables, JSON) to Out and status, progress and errors
// to ErrOut. Colour and progress animation follow the terminal: when ErrOut is
// not a terminal, progress is printed as plain lines.
//
// # Example
//
//	ios := iostreams.System()           // real stdin/stdout/stderr
//	ios, _, out, errOut := iostreams.Test() // buffers, never a terminal
//	ios.SetStderrTTY(true)               // pretend, in a test
package iostreams
