//go:build !unix

package main

import "runtime/debug"

// crashBySignal makes a crash of the Go runtime end the process the way
// the system ends a crashed program, rather than with exit status 2, which
// --help gives to bad flags.
func crashBySignal() { debug.SetTraceback("crash") }
