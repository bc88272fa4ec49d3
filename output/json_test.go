package output

import (
	"encoding/json"
	"math"
	"testing"
)

func TestAppendFloatSpellsLikePython(t *testing.T) {
	// Expected strings are Python's repr() of the same float64.
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0.5, "0.5"},
		{1, "1.0"},
		{-1, "-1.0"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{0.7601234567890123, "0.7601234567890123"},
		{float64(float32(0.7)), "0.699999988079071"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{1.5e-7, "1.5e-07"},
		{1e16, "1e+16"},
		{123456789012345.0, "123456789012345.0"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	} {
		if got := string(AppendFloat(nil, tc.in)); got != tc.want {
			t.Errorf("AppendFloat(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestAppendStringEscapesLikePython(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"야당", `"야당"`},
		{"바이어 레버쿠젠", `"바이어 레버쿠젠"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"a\nb\tc\r\b\f", `"a\nb\tc\r\b\f"`},
		{"\x01\x1f", `"\u0001\u001f"`},
		{"<&>", `"<&>"`},
		{"\u2028", "\"\u2028\""},
	} {
		got := string(AppendString(nil, tc.in))
		if got != tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != tc.in {
			t.Errorf("AppendString(%q) does not read back: %q, %v", tc.in, back, err)
		}
	}
}
