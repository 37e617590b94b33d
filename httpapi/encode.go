package httpapi

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// wantsXML reports whether the client's Accept header prefers XML to JSON
// (ruling 2).
func wantsXML(r *http.Request) bool {
	best, bestQ := "", -1.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			fmt.Sscanf(v, "%g", &q)
		}
		if (mt == "application/xml" || mt == "text/xml" || mt == "application/json") && q > bestQ {
			best, bestQ = mt, q
		}
	}
	return best == "application/xml" || best == "text/xml"
}

// write sends v as JSON, or as XML when the client prefers it.
func write(w http.ResponseWriter, r *http.Request, status int, v any) {
	contentType, body, err := encode(r, v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"code":"InternalError","message":"encode response"}`)
	}
	send(w, status, contentType, body)
}

// encode renders v as JSON, or as XML when the client prefers it.
func encode(r *http.Request, v any) (contentType string, body []byte, err error) {
	if wantsXML(r) {
		body, err = toXML(v)
		return "application/xml;charset=utf-8", body, err
	}
	body, err = json.Marshal(v)
	return "application/json;charset=utf-8", body, err
}

// send writes an encoded answer. With its length set, net/http writes a
// large body straight to the connection instead of in 2 KB chunks.
func send(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// toXML renders v's JSON form as XML: objects become elements, arrays
// repeat their element. Errors use ACK's <Error> root, the rest <Response>.
func toXML(v any) ([]byte, error) {
	if e, ok := v.(errorBody); ok {
		return xml.MarshalIndent(struct {
			XMLName xml.Name `xml:"Error"`
			errorBody
		}{errorBody: e}, "", "  ")
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	writeXMLValue(&buf, "Response", generic)
	return buf.Bytes(), nil
}

func writeXMLValue(buf *bytes.Buffer, name string, v any) {
	switch t := v.(type) {
	case []any:
		for _, item := range t {
			writeXMLValue(buf, name, item)
		}
		return
	case map[string]any:
		buf.WriteString("<" + name + ">")
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			writeXMLValue(buf, k, t[k])
		}
		buf.WriteString("</" + name + ">")
	case nil:
		buf.WriteString("<" + name + "/>")
	default:
		buf.WriteString("<" + name + ">")
		_ = xml.EscapeText(buf, []byte(fmt.Sprint(t)))
		buf.WriteString("</" + name + ">")
	}
}
