package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/ackscale/ackscale"
)

// Body limits (R16).
const (
	MaxBodyBytes = 1 << 20 // larger bodies are CodeBodyTooLarge
	MaxDepth     = 32      // nesting of objects and arrays; the body itself is depth 1
)

// Decode reads a request body: one JSON object of valid UTF-8, at most
// MaxBodyBytes long and MaxDepth deep, with no key twice in any object and
// nothing after it. Its errors are CodeMalformedBody (CodeBodyTooLarge for
// size) and name the problem and its byte offset.
func Decode(body []byte) (map[string]json.RawMessage, error) {
	if err := precheck(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := walk(dec, 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("unexpected data after the JSON object at offset %d", dec.InputOffset())
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, malformed("%v", err) // not reached: walk accepted the body
	}
	return m, nil
}

func precheck(body []byte) error {
	if len(body) > MaxBodyBytes {
		return ackscale.Errorf(ackscale.CodeBodyTooLarge, "body is %d bytes; at most %d are accepted%s", len(body), MaxBodyBytes, seeDocs("R16"))
	}
	if !utf8.Valid(body) {
		return malformed("invalid UTF-8 at offset %d", invalidUTF8At(body))
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return malformed("body is empty; send a JSON object")
	}
	if trimmed[0] != '{' {
		return malformed("body is not a JSON object: it starts with %q at offset %d", trimmed[0], len(body)-len(trimmed))
	}
	return nil
}

// walk reads one JSON value, checking depth and duplicate keys.
func walk(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err, dec)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth+1 > MaxDepth {
		return malformed("JSON nested deeper than %d levels at offset %d%s", MaxDepth, dec.InputOffset(), seeDocs("R16"))
	}
	if d == '{' {
		err = walkObject(dec, depth+1)
	} else {
		err = walkArray(dec, depth+1)
	}
	if err != nil {
		return err
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return syntaxError(err, dec)
	}
	return nil
}

func walkObject(dec *json.Decoder, depth int) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(err, dec)
		}
		key, _ := tok.(string)
		if seen[key] {
			return malformed("duplicate key %q ending at offset %d", key, dec.InputOffset())
		}
		seen[key] = true
		if err := walk(dec, depth); err != nil {
			return err
		}
	}
	return nil
}

func walkArray(dec *json.Decoder, depth int) error {
	for dec.More() {
		if err := walk(dec, depth); err != nil {
			return err
		}
	}
	return nil
}

func syntaxError(err error, dec *json.Decoder) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return malformed("invalid JSON at offset %d: %s", se.Offset, se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed("body ends in the middle of the JSON object at offset %d", dec.InputOffset())
	}
	return malformed("invalid JSON at offset %d: %v", dec.InputOffset(), err)
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func malformed(format string, args ...any) error {
	return ackscale.Errorf(ackscale.CodeMalformedBody, format, args...)
}
