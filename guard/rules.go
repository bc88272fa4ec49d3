package guard

import "strconv"

// Rules says which lexical guards are on. The zero value turns all of them
// off, and then no row is ever excluded.
type Rules struct {
	// Normalized excludes terms equal to a query term after Normalize. A term
	// that normalises to the empty string matches nothing.
	Normalized bool
	// Contains > 0 excludes terms whose normalised form contains, or is
	// contained in, a query term's, when the shorter of the two has at least
	// Contains runes (2 keeps 증상 out of 임상증상's negatives but lets a
	// single shared syllable through).
	Contains int
	// EditDistance > 0 excludes terms within this Levenshtein distance of a
	// query term, counted in runes of the normalised forms, when both have
	// at least EditMinRunes runes. At most MaxEditDistance.
	EditDistance int
	// EditMinRunes is the length rule of EditDistance: both normalised forms
	// need at least this many runes; 0 means 3. Two-rune Korean words one
	// syllable apart (야당/야수, 사과/사자) are often good hard negatives,
	// and any two strings of at most k runes are within distance k, so short
	// terms are left out unless asked for.
	EditMinRunes int
}

// MaxEditDistance bounds Rules.EditDistance: the deletion neighbourhood of a
// term of n runes has about n^k/k! strings, which grows too fast beyond 3.
const MaxEditDistance = 3

const defaultEditMinRunes = 3

func (r Rules) editMinRunes() int {
	if r.EditMinRunes <= 0 {
		return defaultEditMinRunes
	}
	return r.EditMinRunes
}

// Rule names the rule that excluded a row. Rules are listed in the order in
// which they are tried: a row that several rules match gets the first.
type Rule uint8

const (
	RuleNormalized   Rule = iota + 1 // equal after Normalize
	RuleContains                     // one normalised form contains the other
	RuleEditDistance                 // within the Levenshtein distance
)

// String returns "normalized", "contains" or "edit_distance".
func (r Rule) String() string {
	switch r {
	case RuleNormalized:
		return "normalized"
	case RuleContains:
		return "contains"
	case RuleEditDistance:
		return "edit_distance"
	}
	return "Rule(" + strconv.Itoa(int(r)) + ")"
}

// On reports whether any lexical rule is on.
func (r Rules) On() bool { return r.Normalized || r.Contains > 0 || r.EditDistance > 0 }

// RuleOn reports whether rule x is on.
func (r Rules) RuleOn(x Rule) bool {
	switch x {
	case RuleNormalized:
		return r.Normalized
	case RuleContains:
		return r.Contains > 0
	case RuleEditDistance:
		return r.EditDistance > 0
	}
	return false
}
