package rules

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/api.md")

const (
	docsPath    = "../docs/api.md"
	beginMarker = "<!-- BEGIN RULES -->"
	endMarker   = "<!-- END RULES -->"
	docsHeader  = "# Request validation rules\n\n" +
		"The reference of every rule ackscale enforces on request bodies, per cluster profile and operation.\n" +
		"The part between the markers is generated from the rule tables of package `rules` by\n" +
		"`go test ./rules -run TestDocs -update`: change the tables, not this page.\n\n"
)

// TestDocs fails when docs/api.md is not what the tables generate; -update
// rewrites the part between the markers (creating the file if needed).
func TestDocs(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	if errors.Is(err, fs.ErrNotExist) && *update {
		doc, err = []byte(docsHeader+beginMarker+"\n"+endMarker+"\n"), nil
	}
	require.NoError(t, err, "run go test ./rules -run TestDocs -update")
	begin, end := bytes.Index(doc, []byte(beginMarker)), bytes.Index(doc, []byte(endMarker))
	require.True(t, begin >= 0 && end > begin, "docs/api.md lacks the markers")
	var want bytes.Buffer
	want.Write(doc[:begin+len(beginMarker)])
	want.WriteString("\n" + Reference() + "\n")
	want.Write(doc[end:])
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(docsPath), 0o755))
		require.NoError(t, os.WriteFile(docsPath, want.Bytes(), 0o644))
		return
	}
	if line := firstDiff(want.String(), string(doc)); line != "" {
		t.Fatalf("docs/api.md is stale (first difference: %s): run go test ./rules -run TestDocs -update", line)
	}
}

// firstDiff describes the first line where a and b differ, or "".
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: want %q, have %q", i+1, x, y)
		}
	}
	return ""
}
