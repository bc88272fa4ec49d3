// Package guard holds every rule that keeps a candidate out of an anchor's
// negatives because it is likely a false negative, computed before the scan:
//
//   - the positives-graph rule (GraphRule, Exclude): the anchor's positives,
//     everything within K links of it, or its whole component;
//   - score limits (Limits): an absolute floor and ceiling, and margins
//     below the anchor's least similar positive, which the scan applies;
//   - lexical variants (Rules, Index), below;
//   - near-duplicates of a positive are found by the scan itself, which has
//     the similarities (scan.Options.NearDuplicates).
//
// Lexical variants: for each anchor, the vocabulary rows that are lexical
// variants of the anchor or of one of its positives, so that the miner can
// keep them out of the negatives. A known failure of embedding-only mining is
// the false negative that is merely another spelling: 임상증상 gets 증상
// (containment), 니콜라이 gets 니콜, 사천면 gets 사천, ＡＢＣ gets abc.
//
// Three rules, each a flag in Rules because each also removes some negatives
// that are legitimately hard:
//
//   - normalized: the two terms are equal after Normalize (NFKC, Unicode case
//     folding, white space removed);
//   - contains: one normalised form contains the other, and the shorter one
//     has at least Rules.Contains runes;
//   - edit distance: the Levenshtein distance between the normalised forms,
//     counted in runes, is at most Rules.EditDistance, and both forms have at
//     least Rules.EditMinRunes runes (3 when left zero). A distance of 1
//     between two-syllable Korean words (야당/야수) changes half the word, so
//     short terms are left out by default.
//
// Everything is computed once over the vocabulary by NewIndex; a query looks
// up indexes and never compares all pairs:
//
//   - a map from normalised form to rows (rule normalized, and the "terms
//     inside the query" half of rule contains: every substring of the query
//     of at least Contains runes is looked up in it);
//   - a suffix array (index/suffixarray) over all normalised forms joined by
//     the byte 0xFF, which never occurs in UTF-8, for the "terms around the
//     query" half of rule contains. It holds one int32 per byte of text, far
//     less than a map from every substring to its rows, and a lookup costs a
//     binary search plus one step per hit. A byte match is a rune match
//     because UTF-8 is self-synchronising;
//   - a SymSpell deletion neighbourhood for rule edit distance: the 64-bit
//     hash of every string made by deleting up to k runes from a term, sorted,
//     with the rows of each hash. Two strings within distance k share such a
//     string, so the candidates are complete; each is then verified with a
//     real Levenshtein distance, which also rejects hash collisions.
//
// The result depends only on the terms, the rules and the queried rows: not
// on threads, map order or the hash seed.
//
// The lexical part knows nothing of embeddings, bands or files; the miner
// decides what to do with the rows it returns.
package guard
