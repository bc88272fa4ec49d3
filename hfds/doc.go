// Package hfds writes a HuggingFace `datasets` DatasetDict in the layout of
// DatasetDict.save_to_disk, so that training code can open hardneg's triplets
// with datasets.load_from_disk and get the same splits, columns, Arrow types
// and features that `datasets` itself would have written.
//
// The layout follows what `datasets` 5.0.1 writes (see shared/FORMATS.md and
// the reference fixtures under shared/reference/datasets-5.0.1):
//
//	dir/dataset_dict.json              {"splits": ["train", "validation"]}
//	dir/<split>/data-00000-of-0000N.arrow  Arrow IPC streaming format
//	dir/<split>/dataset_info.json      features, indent 2, no trailing newline
//	dir/<split>/state.json             data files and fingerprint
//
// Every .arrow shard is one Arrow IPC stream (never the IPC file format, which
// load_from_disk cannot open) holding one schema and record batches of at most
// Options.BatchRows rows, with the `huggingface` schema metadata that
// `datasets` writes. The JSON files are byte-for-byte what `datasets` writes,
// except `_fingerprint`, which here is derived from the shard bytes so that the
// same input always gives the same output.
//
// The package covers tables without nulls of the column types
// Value("string"), Value("float64") and Value("int64"), and lists of them,
// List(Value("string")) and so on (Arrow list<item: ...>, as
// Dataset.from_dict infers them), which is what hardneg writes. A list column
// is held flat, its values in one slice and its rows as offsets into it (see
// Column). It is not a general `datasets` writer: it does not write deeper
// nesting, structs, LargeList or fixed-length lists, ClassLabel, images or
// audio, nulls, indices mappings or cache files, and it does not read
// datasets back. SaveParquet writes the same splits in
// the Hub's Parquet layout (data/{split}-NNNNN-of-NNNNN.parquet); JSONL lives
// in package output.
package hfds
