package guard

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Normalize returns the form that the rules compare: s with invalid UTF-8
// replaced by U+FFFD, then NFKC, Unicode full case folding (cases.Fold),
// every white space rune (unicode.IsSpace) removed, and NFKC again, because
// folding can leave a string that is not NFKC and removing a space can bring
// together letters that compose ("ㄱ ㅏ" → 가). Normalize never panics, and
// Normalize(Normalize(s)) == Normalize(s) (FuzzNormalize checks both).
//
// What this does to the scripts in the term list:
//   - precomposed Hangul syllables (U+AC00–U+D7A3) stay as they are, so
//     Korean words are compared syllable by syllable; sequences of conjoining
//     jamo (U+1100–) compose into syllables;
//   - Hangul compatibility jamo (ㄱ U+3131, ㅏ U+314F ...) and half-width
//     Hangul become conjoining jamo, which then compose with their
//     neighbours where they spell a syllable (ㄱㅏ → 가, but ㄱ alone stays
//     the conjoining U+1100); parenthesised or circled Hangul (㈜ U+321C)
//     becomes the letters with ASCII parentheses ("(주)");
//   - Hanja in the unified block stay as they are; the CJK compatibility
//     ideographs (U+F900–U+FAFF, the duplicates kept for Korean readings,
//     such as 樂 U+F914) become their unified ideograph (樂 U+6A02); case
//     folding has no effect on either;
//   - full-width Latin and digits (ＡＢＣ１) become ASCII, ligatures split
//     (ﬁ → fi), and case folds (Straße → strasse, ΣΑΣ → σασ);
//   - the ideographic space U+3000 and no-break spaces are white space and
//     are removed with the rest, so "Foo Bar" and "foobar" are equal.
func Normalize(s string) string {
	if out, ok := normalizeFast(s); ok {
		return out
	}
	return normalizeSlow(s)
}

// normalizeSlow is the definition; normalizeFast must agree with it.
func normalizeSlow(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFKC.String(s)
	s = cases.Fold().String(s) // a Caser keeps state, so one per call
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return -1
		case 0xAB70 <= r && r <= 0xABBF: // see cherokee below
			return r - 0xAB70 + 0x13A0
		case 0x13F8 <= r && r <= 0x13FD:
			return r - 8
		}
		return r
	}, s)
	return norm.NFKC.String(s)
}

// cherokee: Unicode's CaseFolding.txt folds Cherokee small letters to the
// capitals (U+AB70–U+ABBF → U+13A0–U+13EF, U+13F8–U+13FD → U+13F0–U+13F5),
// but x/text v0.41.0's cases.Fold swaps the two cases both ways, so folding
// twice gave back the input. normalizeSlow maps the small letters to the
// capitals after folding, which is the Unicode fold and keeps Normalize
// idempotent.

// normalizeFast handles the common term that holds only ASCII and
// precomposed Hangul syllables: NFKC leaves both alone and no pair of them
// composes, and folding ASCII is lower-casing it. ok is false for anything
// else.
func normalizeFast(s string) (string, bool) {
	changed := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if ('A' <= c && c <= 'Z') || asciiSpace(c) {
				changed = true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 0xAC00 || r > 0xD7A3 {
			return "", false
		}
		i += size
	}
	if !changed {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case asciiSpace(c):
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

// asciiSpace is unicode.IsSpace restricted to ASCII.
func asciiSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}
