package report

// InputNames exposes the names Write reads, for the test that holds them
// equal to mine's without report importing mine.
var InputNames = []string{trainJSONL, valJSONL, statsFile}
