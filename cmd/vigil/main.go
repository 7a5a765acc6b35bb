// Command vigil is the reliability pipeline's command line. It only wires
// the CLI (internal/cli) to the process: streams, signals, exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vigil-sre/vigil/internal/cli"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	f := cli.NewFactory(cli.Version(version))
	err := cli.NewCmdRoot(f).ExecuteContext(ctx)
	stop()
	os.Exit(cli.Exit(f.IOStreams, err))
}
