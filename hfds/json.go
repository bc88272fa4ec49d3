package hfds

import "bytes"

// The JSON files are built by hand rather than with encoding/json because
// they must match Python's json module byte for byte: its default
// ensure_ascii=True escapes every non-ASCII character as \uXXXX (lowercase
// hex, surrogate pairs above U+FFFF), it does not escape <, > and &, it keeps
// the features in column order with "dtype" (or a list's "feature") before
// "_type", and `datasets` writes no trailing newline.

// datasetDictJSON is json.dump({"splits": list(self)}, f) with default
// separators.
func datasetDictJSON(splits []Split) []byte {
	var b bytes.Buffer
	b.WriteString(`{"splits": [`)
	for i, s := range splits {
		if i > 0 {
			b.WriteString(", ")
		}
		pyQuote(&b, s.Name)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// schemaMetadataJSON is the value of the `huggingface` schema metadata key:
// json.dumps({"info": {"features": ...}}) with default separators.
func schemaMetadataJSON(cols []Column) string {
	var b bytes.Buffer
	b.WriteString(`{"info": {"features": {`)
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		pyQuote(&b, c.Name)
		b.WriteString(": ")
		writeFeature(&b, c.Type, false, "")
	}
	b.WriteString("}}}")
	return b.String()
}

// writeFeature writes the feature of type t as json.dumps writes
// Features.to_dict() for it: {"dtype": "string", "_type": "Value"} for a
// Value, and {"feature": {...}, "_type": "List"} for a List, whose default
// length of -1 `datasets` leaves out. With pretty unset it uses json.dumps'
// default separators; with pretty set it writes what json.dump(indent=2)
// writes for an object whose key sits at indent.
func writeFeature(b *bytes.Buffer, t Type, pretty bool, indent string) {
	inner := indent + "  "
	open, sep, end := "{", ", ", "}"
	if pretty {
		open, sep, end = "{\n"+inner, ",\n"+inner, "\n"+indent+"}"
	}
	b.WriteString(open)
	if t.isList() {
		b.WriteString(`"feature": `)
		writeFeature(b, t.elem(), pretty, inner)
		b.WriteString(sep + `"_type": "List"`)
	} else {
		b.WriteString(`"dtype": `)
		pyQuote(b, t.String())
		b.WriteString(sep + `"_type": "Value"`)
	}
	b.WriteString(end)
}

// datasetInfoJSON is what save_to_disk writes for a Dataset.from_dict table:
// json.dump with indent=2 of the info dict whose top-level keys are sorted
// (and whose features are not).
func datasetInfoJSON(cols []Column) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"citation\": \"\",\n  \"description\": \"\",\n  \"features\": {")
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		pyQuote(&b, c.Name)
		b.WriteString(": ")
		writeFeature(&b, c.Type, true, "    ")
	}
	if len(cols) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("},\n  \"homepage\": \"\",\n  \"license\": \"\"\n}")
	return b.Bytes()
}

// stateJSON is save_to_disk's state.json: json.dump(state, indent=2,
// sort_keys=True) with no format set.
func stateJSON(files []string, fingerprint string) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"_data_files\": [")
	for i, f := range files {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    {\n      \"filename\": ")
		pyQuote(&b, f)
		b.WriteString("\n    }")
	}
	if len(files) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("],\n  \"_fingerprint\": ")
	pyQuote(&b, fingerprint)
	b.WriteString(",\n  \"_format_columns\": null,\n  \"_format_kwargs\": {},\n  \"_format_type\": null,\n  \"_output_all_columns\": false,\n  \"_split\": null\n}")
	return b.Bytes()
}

const hexDigits = "0123456789abcdef"

// pyQuote writes s, which is valid UTF-8, as Python's json module writes a
// str with ensure_ascii=True.
func pyQuote(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r >= 0x20 && r <= 0x7e:
				b.WriteByte(byte(r))
			case r < 0x10000:
				writeU(b, r)
			default:
				r -= 0x10000
				writeU(b, 0xd800|(r>>10)&0x3ff)
				writeU(b, 0xdc00|r&0x3ff)
			}
		}
	}
	b.WriteByte('"')
}

func writeU(b *bytes.Buffer, r rune) {
	b.WriteString(`\u`)
	b.WriteByte(hexDigits[r>>12&0xf])
	b.WriteByte(hexDigits[r>>8&0xf])
	b.WriteByte(hexDigits[r>>4&0xf])
	b.WriteByte(hexDigits[r&0xf])
}
