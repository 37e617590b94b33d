package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// decode reads exactly one JSON document into doc. Its errors give the
// line and column and, for an unknown field or a value of the wrong type,
// the path of the value: encoding/json names neither.
func decode(data []byte, doc *Document) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(doc)
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("catalog: empty input, expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return positionError(data, int64(len(data)), "unexpected end of input")
	case err != nil:
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return positionError(data, syn.Offset-1, syn.Error())
		}
		if loc, ok := locate(data); ok {
			return positionError(data, loc.offset, loc.message())
		}
		return positionError(data, dec.InputOffset(), err.Error())
	}
	end := skipSpace(data, dec.InputOffset())
	if end < int64(len(data)) {
		return positionError(data, end, "unexpected data after the catalog object")
	}
	return nil
}

// positionError says where in data, by line and column, decoding failed.
func positionError(data []byte, offset int64, msg string) error {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Errorf("catalog: line %d, column %d: %s", line, col, msg)
}

// skipSpace returns the offset of the first byte at or after off that is
// not JSON white space or a separator (",", ":").
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}

// located is the first unknown field or mistyped value in a document.
type located struct {
	offset   int64
	path     string
	field    string // the unknown field, or ""
	got      string // the kind of value found
	expected string // the kind of value wanted
}

func (l located) message() string {
	msg := fmt.Sprintf("expected %s, got %s", l.expected, l.got)
	if l.field != "" {
		msg = fmt.Sprintf("unknown field %q", l.field)
	}
	if l.path == "" {
		return msg
	}
	return l.path + ": " + msg
}

// locate walks data as a Document, token by token, and returns where it
// first fails to fit: an unknown field or a value of the wrong kind.
func locate(data []byte) (located, bool) {
	w := &walker{dec: json.NewDecoder(bytes.NewReader(data)), data: data}
	w.dec.UseNumber()
	loc, err := w.value(reflect.TypeFor[Document](), "")
	return loc, err == nil && loc != (located{})
}

type walker struct {
	dec  *json.Decoder
	data []byte
}

// value reads one value that should fit t. The zero located means it fits.
func (w *walker) value(t reflect.Type, path string) (located, error) {
	start := skipSpace(w.data, w.dec.InputOffset())
	tok, err := w.dec.Token()
	if err != nil {
		return located{}, err
	}
	got := kindOfToken(tok)
	if want := kindOfType(t); got != want && tok != nil && !(got == "a number" && want == "an integer") {
		return located{offset: start, path: path, got: got, expected: want}, nil
	}
	switch tok := tok.(type) {
	case json.Number:
		if t.Kind() == reflect.Int {
			if _, err := strconv.ParseInt(string(tok), 10, strconv.IntSize); err != nil {
				return located{offset: start, path: path, got: "the number " + string(tok), expected: "an integer"}, nil
			}
		}
	case json.Delim:
		if tok == '{' {
			return w.object(t, path)
		}
		if tok == '[' {
			return w.array(t, path)
		}
	}
	return located{}, nil
}

func (w *walker) object(t reflect.Type, path string) (located, error) {
	for w.dec.More() {
		start := skipSpace(w.data, w.dec.InputOffset())
		tok, err := w.dec.Token()
		if err != nil {
			return located{}, err
		}
		key, _ := tok.(string)
		f, ok := fieldByJSONName(t, key)
		if !ok {
			return located{offset: start, path: path, field: key}, nil
		}
		if loc, err := w.value(f.Type, joinPath(path, f.name)); err != nil || loc != (located{}) {
			return loc, err
		}
	}
	_, err := w.dec.Token() // '}'
	return located{}, err
}

func (w *walker) array(t reflect.Type, path string) (located, error) {
	for i := 0; w.dec.More(); i++ {
		if loc, err := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil || loc != (located{}) {
			return loc, err
		}
	}
	_, err := w.dec.Token() // ']'
	return located{}, err
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

type jsonField struct {
	name string
	Type reflect.Type
}

// fieldByJSONName finds a struct field as encoding/json does: by its JSON
// name, exactly or else case-insensitively.
func fieldByJSONName(t reflect.Type, key string) (jsonField, bool) {
	var fold jsonField
	var folded bool
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if name == key {
			return jsonField{name, sf.Type}, true
		}
		if !folded && strings.EqualFold(name, key) {
			fold, folded = jsonField{name, sf.Type}, true
		}
	}
	return fold, folded
}

func kindOfToken(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

func kindOfType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	}
	return t.Kind().String()
}
