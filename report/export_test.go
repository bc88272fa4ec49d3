package report

// StatsName exposes the stats file Write reads, for the test that holds it
// equal to mine's without report importing mine.
const StatsName = statsFile
