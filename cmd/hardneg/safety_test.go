package main

import (
	"bytes"
	"context"
)

// runErr runs the CLI and returns its error and stderr.
func runErr(args ...string) (error, string) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, args)
	return err, stderr.String()
}
