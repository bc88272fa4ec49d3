package npy

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// rawHeader builds magic, version, header length and dict, with no padding
// beyond what dict itself holds.
func rawHeader(major byte, dict string) []byte {
	b := []byte(magic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)))
	}
	return append(b, dict...)
}

// v1 is rawHeader for the common case.
func v1(dict string) []byte { return rawHeader(1, dict) }

const (
	goodDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }   \n"
	unclosed = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), "
)

// withValue substitutes one key's value text in goodDict.
func withValue(key, val string) string {
	old := map[string]string{"descr": "'<f4'", "fortran_order": "False", "shape": "(3, 4)"}[key]
	return strings.Replace(goodDict, "'"+key+"': "+old, "'"+key+"': "+val, 1)
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Header
	}{
		{"numpy", v1(goodDict), Header{1, 0, Float32, false, []int{3, 4}, int64(10 + len(goodDict))}},
		{"version 2.0", rawHeader(2, goodDict), Header{2, 0, Float32, false, []int{3, 4}, int64(12 + len(goodDict))}},
		{"version 3.0", rawHeader(3, goodDict), Header{3, 0, Float32, false, []int{3, 4}, int64(12 + len(goodDict))}},
		{"float16", v1(withValue("descr", "'<f2'")), Header{1, 0, Float16, false, []int{3, 4}, int64(10 + len(goodDict))}},
		{"float64", v1(withValue("descr", "'<f8'")), Header{1, 0, Float64, false, []int{3, 4}, int64(10 + len(goodDict))}},
		{"double quotes, any order, no commas or spaces",
			v1(`{"shape":(150000,1024),"fortran_order":False,"descr":"<f2"}`),
			Header{1, 0, Float16, false, []int{150000, 1024}, 10 + 59}},
		{"trailing comma in shape, newlines inside",
			v1("{\n 'descr' : '<f8' ,\n 'fortran_order' : False ,\n 'shape' : ( 2 , 5 , ) ,\n}\n"),
			Header{1, 0, Float64, false, []int{2, 5}, 10 + 75}},
		{"leading spaces, no final newline",
			v1("  {'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)}"),
			Header{1, 0, Float32, false, []int{1, 1}, 10 + 59}},
		{"python 2 longs",
			v1("{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4L), }\n"),
			Header{1, 0, Float32, false, []int{3, 4}, 10 + 62}},
		{"data after the header is ignored", append(v1(goodDict), 1, 2, 3),
			Header{1, 0, Float32, false, []int{3, 4}, int64(10 + len(goodDict))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHeader(tt.in)
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseHeader = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// badHeaders is the catalogue of headers ParseHeader must refuse. at names
// the text the reported offset must point to (its first occurrence in in);
// when it is empty, off is the offset.
var badHeaders = []struct {
	name string
	in   []byte
	err  error
	at   string
	off  int64
}{
	{"empty", nil, ErrTruncated, "", 0},
	{"text file", []byte("term,embedding\n"), ErrMagic, "", 0},
	{"bad magic", []byte("\x93NUMPZ\x01\x00\x10\x00{}"), ErrMagic, "", 0},
	{"magic cut short", []byte("\x93NUM"), ErrTruncated, "", 4},
	{"version cut short", []byte("\x93NUMPY\x01"), ErrTruncated, "", 7},
	{"version 4.0", rawHeader(4, goodDict), ErrVersion, "", 6},
	{"version 1.1", append([]byte("\x93NUMPY\x01\x01"), v1(goodDict)[8:]...), ErrVersion, "", 6},
	{"version 0.0", append([]byte("\x93NUMPY\x00\x00"), v1(goodDict)[8:]...), ErrVersion, "", 6},
	{"header length cut short", []byte("\x93NUMPY\x02\x00\x10\x00"), ErrTruncated, "", 8},
	{"header length past end", v1(goodDict)[:40], ErrTruncated, "", 8},
	{"header length past end, version 2", rawHeader(2, goodDict)[:60], ErrTruncated, "", 8},
	{"empty header", v1(""), ErrHeader, "", 10},
	{"not a dict", v1("[('descr', '<f4')]\n"), ErrHeader, "[", 0},
	{"dict not closed", v1(unclosed), ErrHeader, "", int64(10 + len(unclosed))},
	{"dict not closed, version 3", rawHeader(3, unclosed[:56]), ErrHeader, "", 12 + 56},
	{"tuple not closed", v1(unclosed[:55]), ErrHeader, "", 10 + 55},
	{"header longer than declared", append(v1(goodDict[:30]), goodDict[30:]...), ErrHeader, "", 10 + 30},
	{"string not closed", v1("{'descr': '<f4"), ErrHeader, "", 24},
	{"string across lines", v1("{'descr': '<f4\n', 'fortran_order': False, 'shape': (3, 4)}"), ErrHeader, "\n", 0},
	{"escape in string", v1(withValue("descr", `'<\x664'`)), ErrHeader, `\`, 0},
	{"missing key", v1("{'descr': '<f4', 'shape': (3, 4), }\n"), ErrHeader, "}", 0},
	{"extra key", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), 'order': 'C', }\n"), ErrHeader, "'order'", 0},
	{"repeated key", v1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n"), ErrHeader, "'descr': '<f4', 'f", 0},
	{"key not a string", v1("{1: '<f4'}"), ErrHeader, "1", 0},
	{"missing colon", v1("{'descr' '<f4'}"), ErrHeader, "'<", 0},
	{"missing comma", v1("{'descr': '<f4' 'fortran_order': False}"), ErrHeader, "'fortran", 0},
	{"garbage after dict", v1(goodDict + "x"), ErrHeader, "x", 0},
	{"second dict", v1(goodDict + "{}"), ErrHeader, "{}", 0},
	{"unknown name", v1(withValue("fortran_order", "false")), ErrHeader, "false", 0},
	{"float", v1(withValue("shape", "(3.0, 4)")), ErrHeader, ".0", 0},
	{"hex", v1(withValue("shape", "(0x3, 4)")), ErrHeader, "x3", 0},
	{"long suffix in version 3", rawHeader(3, withValue("shape", "(3L, 4L)")), ErrHeader, "L", 0},
	{"unexpected byte", v1(withValue("shape", "{3, 4}")), ErrHeader, "{3", 0},
	{"nested too deep", v1(withValue("shape", strings.Repeat("(", 40)+"3"+strings.Repeat(")", 40))), ErrHeader, "((", maxDepth},
	{"sign without digits", v1(withValue("shape", "(-, 4)")), ErrHeader, ", 4", 0},

	{"descr <i4", v1(withValue("descr", "'<i4'")), ErrDType, "'<i4'", 0},
	{"descr >f4", v1(withValue("descr", "'>f4'")), ErrDType, "'>f4'", 0},
	{"descr |u1", v1(withValue("descr", "'|u1'")), ErrDType, "'|u1'", 0},
	{"descr <f2 spelled float16", v1(withValue("descr", "'float16'")), ErrDType, "'float16'", 0},
	{"descr structured", v1(withValue("descr", "[('x', '<f4')]")), ErrDType, "[(", 0},
	{"descr not a string", v1(withValue("descr", "4")), ErrHeader, "4,", 0},

	{"fortran True", v1(withValue("fortran_order", "True")), ErrFortran, "True", 0},
	{"fortran not a bool", v1(withValue("fortran_order", "0")), ErrHeader, "0,", 0},
	{"fortran None", v1(withValue("fortran_order", "None")), ErrHeader, "None", 0},

	{"shape ()", v1(withValue("shape", "()")), ErrShape, "()", 0},
	{"shape 1-D", v1(withValue("shape", "(12,)")), ErrShape, "(12,)", 0},
	{"shape 3-D", v1(withValue("shape", "(2, 3, 4)")), ErrShape, "(2, 3, 4)", 0},
	{"zero rows", v1(withValue("shape", "(0, 4)")), ErrShape, "0, 4", 0},
	{"zero cols", v1(withValue("shape", "(3, 0)")), ErrShape, "0)", 0},
	{"negative rows", v1(withValue("shape", "(-3, 4)")), ErrShape, "-3", 0},
	{"negative cols", v1(withValue("shape", "(3, - 4)")), ErrShape, "- 4", 0},
	{"non-numeric shape entry", v1(withValue("shape", "('3', 4)")), ErrHeader, "'3'", 0},
	{"bool shape entry", v1(withValue("shape", "(True, 4)")), ErrHeader, "True", 0},
	{"nested shape entry", v1(withValue("shape", "((3,), 4)")), ErrHeader, "(3,)", 0},
	{"shape is a list", v1(withValue("shape", "[3, 4]")), ErrHeader, "[3", 0},
	{"shape is an int", v1(withValue("shape", "(12)")), ErrHeader, "(12)", 0},
	{"shape entry beyond int64", v1(withValue("shape", "(99999999999999999999, 4)")), ErrShape, "999", 0},
	{"shape overflows", v1(withValue("shape", "(4611686018427387904, 4611686018427387904)")), ErrShape, "(46", 0},
	{"shape too large to address", v1(withValue("shape", "(4611686018427387904, 1)")), ErrShape, "(46", 0},
}

func TestParseHeaderErrors(t *testing.T) {
	for _, tt := range badHeaders {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHeader(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseHeader = %+v, %v; want error %v", h, err, tt.err)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is %T, want *FormatError", err, err)
			}
			want := wantOffset(t, tt.in, tt.at, tt.off)
			if fe.Offset != want {
				t.Errorf("offset = %d, want %d (error: %v)", fe.Offset, want, err)
			}
			if !reflect.DeepEqual(h, Header{}) {
				t.Errorf("header on error = %+v, want zero", h)
			}
			for _, s := range []error{ErrMagic, ErrVersion, ErrHeader, ErrDType, ErrFortran, ErrShape, ErrTruncated, ErrTrailing} {
				if s != tt.err && errors.Is(err, s) {
					t.Errorf("error also matches %v", s)
				}
			}
		})
	}
}

// wantOffset resolves a catalogue entry's expected offset: the first
// occurrence of at after the 10-byte version 1.0 prefix, shifted by off,
// or off alone.
func wantOffset(t *testing.T, in []byte, at string, off int64) int64 {
	t.Helper()
	if at == "" {
		return off
	}
	i := strings.Index(string(in[min(len(in), 10):]), at)
	if i < 0 {
		t.Fatalf("%q not in the header", at)
	}
	return int64(10+i) + off
}

func TestFormatErrorText(t *testing.T) {
	_, err := ParseHeader(v1(goodDict)[:40])
	const want = "npy: parse header: byte 8: header length 63 runs past end of file (40 bytes): .npy file cut short"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	fe := &FormatError{Op: "open", Path: "/data/term_embeddings.npy", Offset: 8, Msg: "header length 300 runs past end of file (118 bytes)", Err: ErrTruncated}
	const wantPath = "npy: open /data/term_embeddings.npy: byte 8: header length 300 runs past end of file (118 bytes): .npy file cut short"
	if fe.Error() != wantPath {
		t.Errorf("error = %s, want %s", fe, wantPath)
	}
}
