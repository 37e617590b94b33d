package sign

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestROACanonicalResource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		path  string
		query url.Values
		want  string
	}{
		{name: "no query", path: "/clusters", want: "/clusters"},
		{name: "empty query", path: "/clusters", query: url.Values{}, want: "/clusters"},
		{name: "sorted keys", path: "/p", query: url.Values{"b": {"2"}, "a": {"1"}, "B": {"3"}}, want: "/p?B=3&a=1&b=2"},
		{name: "raw values", path: "/p", query: url.Values{"q": {"http://domain/?q=value&q2=value2"}}, want: "/p?q=http://domain/?q=value&q2=value2"},
		{name: "empty value has no =", path: "/p", query: url.Values{"e": {""}, "k": {"v"}}, want: "/p?e&k=v"},
		{name: "key without values", path: "/p", query: url.Values{"e": nil}, want: "/p?e"},
		{name: "repeated key in order received", path: "/p", query: url.Values{"k": {"2", "1"}}, want: "/p?k=2&k=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, ROACanonicalResource(tt.path, tt.query))
		})
	}
}

func TestROAStringToSignHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header http.Header
		want   string
	}{
		{name: "all four lines when absent", header: http.Header{}, want: "PUT\n\n\n\n\n/r"},
		{
			name:   "canonical names are lower-cased",
			header: http.Header{"X-Acs-Version": {"2015-12-15"}, "Content-Md5": {"m"}, "Accept": {"a"}},
			want:   "PUT\na\nm\n\n\nx-acs-version:2015-12-15\n/r",
		},
		{
			name:   "x-acs headers sorted, others ignored",
			header: http.Header{"X-Acs-B": {"2"}, "x-acs-a": {"1"}, "X-Sdk-Client": {"go"}, "User-Agent": {"u"}},
			want:   "PUT\n\n\n\n\nx-acs-a:1\nx-acs-b:2\n/r",
		},
		{
			name:   "repeated values joined",
			header: http.Header{"X-Acs-A": {"1", "2"}, "x-acs-a": {"3"}},
			want:   "PUT\n\n\n\n\nx-acs-a:1,2,3\n/r",
		},
		{name: "values kept as sent", header: http.Header{"X-Acs-A": {" v "}}, want: "PUT\n\n\n\n\nx-acs-a: v \n/r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, ROAStringToSign(http.MethodPut, tt.header, "/r"))
		})
	}
}

func TestACS3CanonicalParts(t *testing.T) {
	t.Parallel()
	t.Run("URI", func(t *testing.T) {
		t.Parallel()
		for in, want := range map[string]string{
			"":             "/",
			"/":            "/",
			"/a%20b":       "/a%20b",
			"/a+b*c":       "/a%20b%2Ac",
			"/a%7Eb":       "/a~b",
			"/clusters/c1": "/clusters/c1",
		} {
			require.Equal(t, want, acs3CanonicalURI(in), "path %q", in)
		}
	})
	t.Run("query", func(t *testing.T) {
		t.Parallel()
		for in, want := range map[string]string{
			"":                       "",
			"b=2&a=1":                "a=1&b=2",
			"empty=&test=ok":         "empty=&test=ok",
			"e":                      "e=",
			"v=np+a%2Ab~":            "v=np%20a%2Ab~",
			"v=%7E%21%27%28%29":      "v=~%21%27%28%29",
			"k=2&k=1":                "k=2&k=1",
			"a%2Bb=1":                "a%2Bb=1",                // keys are escaped like values
			"name%3Dx%26page_size=1": "name%3Dx%26page_size=1", // not "name=x&page_size=1": one key, not two
			"bad=%zz&good=1":         "good=1",
			"sp=a%20b&slash=%2F%3D&": "slash=%2F%3D&sp=a%20b",
		} {
			require.Equal(t, want, acs3CanonicalQuery(in), "query %q", in)
		}
	})
	t.Run("headers", func(t *testing.T) {
		t.Parallel()
		h := http.Header{
			"X-Acs-B":      {" z ", "a"},
			"x-acs-b":      {"m"},
			"Content-Type": {"application/json"},
			"Host":         {"ignored.example"},
		}
		got := ACS3CanonicalRequest("GET", "/", "", h, "h.example:8080", []string{"content-type", "host", "x-acs-b", "x-acs-missing"}, "p")
		require.Equal(t, "GET\n/\n\ncontent-type:application/json\nhost:h.example:8080\nx-acs-b:a,m,z\nx-acs-missing:\n\n"+
			"content-type;host;x-acs-b;x-acs-missing\np", got)
	})
}

func TestParseHTTPDate(t *testing.T) {
	t.Parallel()
	want := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		wantErr bool
	}{
		{in: "Mon, 01 Jan 2024 00:00:00 GMT"},
		{in: "Mon, 01 Jan 2024 00:00:00 UTC"},
		{in: "Mon, 01 Jan 2024 00:00:00 CST", wantErr: true},
		{in: "Mon, 01 Jan 2024 00:00:00 +0800", wantErr: true},
		{in: "2024-01-01T00:00:00Z", wantErr: true},
		{in: "mock date", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseHTTPDate(tt.in)
		if tt.wantErr {
			require.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.True(t, want.Equal(got), "%s gave %s", tt.in, got)
	}
}
