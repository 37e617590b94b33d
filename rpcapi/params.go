package rpcapi

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/ackscale/ackscale"
)

// The parameters are read as the SDKs send them: scalars as strings
// ("true", "10"), lists either as a JSON array in one parameter
// (InstanceIds=["i-1","i-2"]), as comma-separated values (VpcId=a,b), or
// repeated with a 1-based index (InstanceTypes.1=x&InstanceTypes.2=y), and
// tags as Tag.N.Key / Tag.N.Value. Parameters an action does not know are
// ignored, as the real APIs ignore them.

// get returns a parameter, "" when absent.
func (c *call) get(name string) string { return c.params.Get(name) }

// region returns the RegionId parameter, which must name a region.
func (h *Handler) region(c *call) (string, error) {
	id := c.get("RegionId")
	if id == "" {
		return "", ackscale.FieldErrorf(ackscale.CodeMissingParameter, "RegionId", "RegionId is mandatory for this action")
	}
	if _, ok := h.cfg.Catalog.Region(id); !ok {
		return "", ackscale.FieldErrorf(ackscale.CodeRegionNotFound, "RegionId", "The specified RegionId %q does not exist", id)
	}
	return id, nil
}

// intParam reads an integer parameter in [lo, hi], def when absent.
func (c *call) intParam(name string, def, lo, hi int) (int, error) {
	s := c.get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, ackscale.FieldErrorf(ackscale.CodeInvalidParameter, name,
			"The specified parameter %s %q is not valid: it must be an integer from %d to %d", name, s, lo, hi)
	}
	return n, nil
}

// floatParam reads a number parameter; ok is false when absent.
func (c *call) floatParam(name string) (f float64, ok bool, err error) {
	s := c.get(name)
	if s == "" {
		return 0, false, nil
	}
	f, err = strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false, ackscale.FieldErrorf(ackscale.CodeInvalidParameter, name,
			"The specified parameter %s %q is not a number", name, s)
	}
	return f, true, nil
}

// boolParam reads "true" or "false"; ok is false when absent.
func (c *call) boolParam(name string) (b, ok bool, err error) {
	s := c.get(name)
	if s == "" {
		return false, false, nil
	}
	b, err = strconv.ParseBool(s)
	if err != nil {
		return false, false, ackscale.FieldErrorf(ackscale.CodeInvalidParameter, name,
			"The specified parameter %s %q is not valid: use true or false", name, s)
	}
	return b, true, nil
}

// jsonList reads a list sent as a JSON array of strings (ECS's
// InstanceIds, PrivateIpAddresses); at most limit items.
func (c *call) jsonList(name string, limit int) ([]string, error) {
	s := c.get(name)
	if s == "" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, ackscale.FieldErrorf(ackscale.CodeInvalidParameter, name,
			"The specified parameter %s is not a JSON array of strings such as [\"a\",\"b\"]", name)
	}
	if len(list) > limit {
		return nil, ackscale.FieldErrorf(ackscale.CodeInvalidParameter, name,
			"The specified parameter %s holds %d items; at most %d are allowed", name, len(list), limit)
	}
	return list, nil
}

// commaList reads a comma-separated list (VPC's VpcId, ECS's ImageId).
func (c *call) commaList(name string) []string {
	var out []string
	for v := range strings.SplitSeq(c.get(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// repeated reads name.1, name.2, ... in index order, and name itself.
func (c *call) repeated(name string) []string {
	type item struct {
		n int
		v string
	}
	var items []item
	for k, vs := range c.params {
		rest, ok := strings.CutPrefix(k, name+".")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || len(vs) == 0 || vs[0] == "" {
			continue
		}
		items = append(items, item{n, vs[0]})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n < items[j].n })
	out := c.commaList(name)
	for _, it := range items {
		out = append(out, it.v)
	}
	return out
}

// tagFilter is one Tag.N filter: a key and, when set, its value.
type tagFilter struct{ key, value string }

// tags reads Tag.N.Key and Tag.N.Value.
func (c *call) tags() []tagFilter {
	byIndex := map[int]*tagFilter{}
	for k := range c.params {
		rest, ok := strings.CutPrefix(k, "Tag.")
		if !ok {
			continue
		}
		idx, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil {
			continue
		}
		f := byIndex[n]
		if f == nil {
			f = &tagFilter{}
			byIndex[n] = f
		}
		switch field {
		case "Key":
			f.key = c.get(k)
		case "Value":
			f.value = c.get(k)
		}
	}
	var out []tagFilter
	for _, f := range byIndex {
		if f.key != "" {
			out = append(out, *f)
		}
	}
	return out
}

// page is the page a list answer shows.
type page struct {
	number, size int
}

// pageParams reads PageNumber (default 1) and PageSize (default 10, at
// most maxSize).
func (c *call) pageParams(maxSize int) (page, error) {
	n, err := c.intParam("PageNumber", 1, 1, 1<<30)
	if err != nil {
		return page{}, err
	}
	size, err := c.intParam("PageSize", 10, 1, maxSize)
	if err != nil {
		return page{}, err
	}
	return page{n, size}, nil
}

// bounds returns the slice bounds of the page in a list of total items.
func (p page) bounds(total int) (lo, hi int) {
	lo = min((p.number-1)*p.size, total)
	return lo, min(lo+p.size, total)
}

// tokenPage reads the token paging of newer actions: MaxResults (default
// def, at most maxSize) and NextToken, an offset this server handed out.
func (c *call) tokenPage(def, maxSize int) (offset, size int, err error) {
	size, err = c.intParam("MaxResults", def, 1, maxSize)
	if err != nil {
		return 0, 0, err
	}
	tok := c.get("NextToken")
	if tok == "" {
		return 0, size, nil
	}
	offset, err = strconv.Atoi(tok)
	if err != nil || offset < 0 {
		return 0, 0, ackscale.FieldErrorf(ackscale.CodeInvalidParameter, "NextToken",
			"The specified parameter NextToken %q is not valid: pass the NextToken of the previous answer", tok)
	}
	return offset, size, nil
}

// nextToken is the token of the page after [offset, offset+size) of total.
func nextToken(offset, size, total int) string {
	if offset+size >= total {
		return ""
	}
	return strconv.Itoa(offset + size)
}

// matchName matches a name filter with * wildcards (DescribeKeyPairs).
func matchName(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	rest := name[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return strings.HasSuffix(rest, parts[len(parts)-1])
}
