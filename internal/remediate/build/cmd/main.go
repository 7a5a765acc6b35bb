// Command cmd builds the remediator's Lambda zip: go run
// ./internal/remediate/build/cmd [-src MODULE_DIR] OUT.zip. It prints the
// zip's path and its source_code_hash. scripts/build-remediator.sh runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/vigil-sre/vigil/internal/remediate/build"
)

func main() {
	src := flag.String("src", ".", "root of the vigil Go module to build from")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/remediate/build/cmd [-src MODULE_DIR] OUT.zip")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out := flag.Arg(0)
	if err := build.Build(ctx, *src, out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hash, err := build.SourceCodeHash(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s\nsource_code_hash %s\n", out, hash)
}
