//go:build unix

package main

import (
	"runtime/debug"
	"syscall"
)

// crashBySignal makes a crash of the Go runtime (an unrecovered panic, or a
// fatal error such as running out of memory) end the process with SIGABRT
// (status 134 in a shell) rather than exit status 2, which --help gives to
// bad flags. Core dumps are turned off first: with a matrix in memory they
// would be huge, and a batch job's folder is no place for them.
func crashBySignal() {
	_ = syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
	debug.SetTraceback("crash")
}
