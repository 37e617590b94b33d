package sign

import (
	"maps"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// lowered is a header map keyed by lower-case names. Go's server
// canonicalises names (X-Acs-Version) while the SDKs sign them lower-case,
// and a client-side http.Header may hold both spellings of one name.
// Its value slices may be h's own: read them, never change them.
type lowered map[string][]string

// lower merges h by lower-cased name. Values merged from several
// spellings of one name come out in the order of the spellings' sort, so
// always in one order; a header of a server request has one spelling of
// each name (Go canonicalises them), so its keys need no sort.
func lower(h http.Header) lowered {
	l := make(lowered, len(h))
	for k, v := range h {
		lk := lowerName(k)
		if _, twice := l[lk]; twice {
			return lowerSorted(h)
		}
		l[lk] = v
	}
	return l
}

// knownNames are the lower-case names of the headers the SDKs send, by
// the spelling Go's server gives them: lowerName finds them without
// making a new string for each request.
var knownNames = func() map[string]string {
	m := map[string]string{}
	for _, name := range []string{"accept", "accept-encoding", "authorization", "connection", "content-length",
		"content-md5", "content-type", "date", "host", "user-agent", "x-acs-accesskey-id", "x-acs-action",
		"x-acs-content-sha256", "x-acs-date", "x-acs-region-id", "x-acs-security-token", "x-acs-signature-method",
		"x-acs-signature-nonce", "x-acs-signature-version", "x-acs-version", "x-sdk-client", "x-sdk-invoke-type",
		"x-sdk-core-version"} {
		m[textproto.CanonicalMIMEHeaderKey(name)] = name
	}
	return m
}()

// lowerName is strings.ToLower(name).
func lowerName(name string) string {
	if lower, ok := knownNames[name]; ok {
		return lower
	}
	return strings.ToLower(name)
}

// lowerSorted is lower for a header with several spellings of a name.
func lowerSorted(h http.Header) lowered {
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
