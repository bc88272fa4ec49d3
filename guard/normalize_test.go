package guard

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"hangul syllables unchanged", "임상증상", "임상증상"},
		{"full-width latin", "ＡＢＣ", "abc"},
		{"full-width digits", "Ｃ１２", "c12"},
		{"ascii case and space", "Foo Bar", "foobar"},
		{"ideographic space", "FOO\u3000BAR", "foobar"},
		{"no-break space", "a\u00a0b", "ab"},
		{"tabs and newlines", " a\tb\nc ", "abc"},
		{"hangul with spaces", "사천 면", "사천면"},
		{"compatibility jamo alone", "ㄱ", "\u1100"},
		{"compatibility jamo compose into a syllable", "ㄱㅏ", "가"},
		{"jamo compose across a removed space", "ㄱ ㅏ", "가"},
		{"conjoining jamo compose", "\u1100\u1161\u11a8", "각"},
		{"half-width hangul", "\uffa1", "\u1100"},
		{"parenthesised hangul", "㈜대한", "(주)대한"},
		{"hanja compatibility ideograph", "\uf914", "\u6a02"},
		{"hanja unified unchanged", "學校", "學校"},
		{"ligature", "ﬁle", "file"},
		{"sharp s folds", "Straße", "strasse"},
		{"greek final sigma folds", "ΣΑΣ", "σασ"},
		{"combining mark composes", "Cafe\u0301", "café"},
		{"cherokee folds to capitals", "\uab87\u13b7\u13f8", "\u13b7\u13b7\u13f0"},
		{"invalid utf-8 replaced", "a\xffb", "a\ufffdb"},
		{"only space", " \u3000 ", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := normalizeSlow(tt.in); got != tt.want {
				t.Errorf("normalizeSlow(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestNormalizeFastAgrees holds the ASCII/Hangul fast path to the definition.
func TestNormalizeFastAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aZ09 \t가힣각 .-\u3000Ａ\u1100")
	taken := 0
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		fast, ok := normalizeFast(s)
		if !ok {
			continue
		}
		taken++
		if slow := normalizeSlow(s); fast != slow {
			t.Fatalf("%q: fast %q, slow %q", s, fast, slow)
		}
	}
	if taken < 1000 {
		t.Fatalf("fast path taken only %d times", taken)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"임상증상", "ＡＢＣ", "Foo Bar", "ㄱㅏ", "a\xffb", "\uf914", " \u0301", "a \u0301", "ㄱ ㅏ", "\u00b4", "가 \u11a8", "0Ꮇ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Normalize(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, got)
		}
		if fast, ok := normalizeFast(s); ok && fast != normalizeSlow(s) {
			t.Fatalf("%q: fast %q, slow %q", s, fast, normalizeSlow(s))
		}
		if again := Normalize(got); again != got {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q", s, got, got, again)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r == ' ' || r == '\t' || r == '\u3000' }) {
			t.Fatalf("Normalize(%q) = %q keeps white space", s, got)
		}
	})
}
