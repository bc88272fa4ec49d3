package source

// ReadSynonyms reads the synonym job's term list and pairs into a problem
// whose queries and corpus are the same term list: every pair links its two
// terms both ways, each linked term is an anchor and its partners are its
// positives.
func ReadSynonyms(termsPath, pairsPath string) (*Problem, PairStats, error) {
	terms, td, err := readTerms(termsPath)
	if err != nil {
		return nil, PairStats{}, err
	}
	anchors, stats, pd, err := readPairsFile(pairsPath, terms)
	if err != nil {
		return nil, stats, err
	}
	return &Problem{Queries: terms, Corpus: terms, Anchors: anchors, Files: []Digest{td, pd}}, stats, nil
}
