package sign

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// lowered is a header map keyed by lower-case names. Go's server
// canonicalises names (X-Acs-Version) while the SDKs sign them lower-case,
// and a client-side http.Header may hold both spellings of one name.
type lowered map[string][]string

// lower merges h by lower-cased name. It visits the keys in sorted order so
// that values merged from several spellings always come out in one order.
func lower(h http.Header) lowered {
	l := make(lowered, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		lk := strings.ToLower(k)
		l[lk] = append(l[lk], h[k]...)
	}
	return l
}

// get returns every value of name joined with ",": what a repeated header
// means in HTTP, and never a silent choice of one of them.
func (l lowered) get(name string) string {
	return strings.Join(l[name], ",")
}

// withPrefix returns the names that start with prefix, sorted.
func (l lowered) withPrefix(prefix string) []string {
	var names []string
	for name := range l {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// clip shortens s for an error message: request values are echoed to help
// the caller, but a megabyte header should not become a megabyte message.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
