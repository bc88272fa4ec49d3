//go:build !noasm

package kernel

import "golang.org/x/sys/cpu"

// probes are the generated throughput probes (probe_amd64.s), with the
// number of multiply-adds one iteration of each does: 12 chains, times the
// products per chain.
var probes = []struct {
	name     string
	run      func(n int)
	products int
}{
	{"fp32-mul-add", probeMulAddPS, 12 * 8},
	{"fp32-fma", probeFMAPS, 12 * 8},
	{"int16-maddwd", probeMaddWD, 12 * 16},
	{"int8-maddubsw-maddwd", probeMaddUBSW, 12 * 32},
	{"int8-maddubsw-addsw", probeMaddUBSWAddW, 12 * 32},
}

var probesSupported = cpu.X86.HasAVX2 && cpu.X86.HasFMA
