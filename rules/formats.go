package rules

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// passwordSpecials are the special characters a login password may use
// (those ECS accepts).
const passwordSpecials = "()`~!@#$%^&*-_+=|{}[]:;'<>,.?/"

// formats maps each Format to its check. A check returns what is wrong in
// words ("" when nothing is), without repeating the value.
var formats = map[Format]func(string) string{
	FormatPassword:     checkPassword,
	FormatCIDR:         checkCIDR,
	FormatClusterName:  checkClusterName,
	FormatLabelKey:     checkLabelKey,
	FormatTagKey:       checkTagKey,
	FormatLabelValue:   checkLabelValue,
	FormatBase64:       checkBase64,
	FormatInteger:      checkInteger,
	FormatNodeName:     checkNodeName,
	FormatPoolName:     checkPoolName,
	FormatECSTagKey:    checkECSTag,
	FormatECSTagValue:  checkECSTag,
	FormatNodeNameMode: checkNodeNameMode,
}

// checkPassword is ruling 3 (its length is the field's Len).
func checkPassword(s string) string {
	var upper, lower, digit, special bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(passwordSpecials, r):
			special = true
		default:
			return "contains a character that is not allowed; use letters, digits and " + passwordSpecials
		}
	}
	if n := count(upper, lower, digit, special); n < 3 {
		return "must contain at least three of: upper-case letters, lower-case letters, digits, special characters; it has " + strconv.Itoa(n)
	}
	return ""
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func checkCIDR(s string) string {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil || !p.Addr().Is4():
		return "is not an IPv4 CIDR block such as 172.20.0.0/16"
	case p != p.Masked():
		return "has host bits set; did you mean " + p.Masked().String() + "?"
	case !p.Addr().IsPrivate():
		return "is not inside a private block (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)"
	case p.Bits() < privateBits(p):
		return "is larger than the private block it starts in"
	}
	return ""
}

func privateBlock(p netip.Prefix) string {
	switch b := p.Addr().As4(); {
	case b[0] == 10:
		return "10.0.0.0/8"
	case b[0] == 172:
		return "172.16.0.0/12"
	default:
		return "192.168.0.0/16"
	}
}

func privateBits(p netip.Prefix) int {
	return netip.MustParsePrefix(privateBlock(p)).Bits()
}

func checkClusterName(s string) string {
	for i, r := range s {
		ok := r < unicode.MaxASCII && (isAlnum(r) || r == '-' || r == '_') || unicode.Is(unicode.Han, r)
		if !ok {
			return "may contain only letters, digits, Chinese characters, - and _"
		}
		if i == 0 && (r == '-' || r == '_') {
			return "must not start with - or _"
		}
	}
	return ""
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

var (
	labelName  = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	dnsLabel   = `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
	dnsSubdom  = regexp.MustCompile(`^` + dnsLabel + `(\.` + dnsLabel + `)*$`)
	base64Text = base64.StdEncoding.Strict() // padding bits zero; still skips \r and \n, which checkBase64 refuses first
)

func checkLabelKey(s string) string {
	prefix, name, found := strings.Cut(s, "/")
	if !found {
		prefix, name = "", s
	}
	switch {
	case found && (len(prefix) > 253 || !dnsSubdom.MatchString(prefix)):
		return "has a prefix that is not a DNS subdomain of at most 253 characters"
	case len(name) > 63 || !labelName.MatchString(name):
		return "is not a Kubernetes label key: a name of at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit, with an optional DNS prefix and /"
	}
	return ""
}

func checkTagKey(s string) string {
	for _, p := range []string{"aliyun", "acs:", "http://", "https://"} {
		if strings.HasPrefix(s, p) {
			return "must not start with " + p
		}
	}
	return checkLabelKey(s)
}

func checkLabelValue(s string) string {
	if s != "" && (len(s) > 63 || !labelName.MatchString(s)) {
		return "is not a Kubernetes label value: at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit"
	}
	return ""
}

// checkBase64 is R9: the standard alphabet and = padding only, on one line.
func checkBase64(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return fmt.Sprintf("is not standard Base64: it has a line break at character %d; send it on one line", utf8.RuneCountInString(s[:i])+1)
	}
	if _, err := base64Text.DecodeString(s); err != nil {
		return "is not standard Base64 (the alphabet A–Z, a–z, 0–9, + and /, padded with =)"
	}
	return ""
}

func checkInteger(s string) string {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return "is not a string of decimal digits"
	}
	return ""
}

func checkNodeName(s string) string {
	if len(s) > 253 || !dnsSubdom.MatchString(s) {
		return "is not a node name (a DNS subdomain such as cn-hangzhou.192.168.0.10)"
	}
	return ""
}

// checkPoolName is R26: a node pool's name.
func checkPoolName(s string) string {
	for i, r := range s {
		if !(r < unicode.MaxASCII && (isAlnum(r) || r == '-') || unicode.Is(unicode.Han, r)) {
			return "may contain only letters, digits, Chinese characters and -"
		}
		if i == 0 && r == '-' {
			return "must not start with -"
		}
	}
	return ""
}

// checkECSTag is R33: an ECS tag key or value (the length is the field's).
func checkECSTag(s string) string {
	for _, p := range []string{"aliyun", "acs:"} {
		if strings.HasPrefix(s, p) {
			return "must not start with " + p
		}
	}
	for _, c := range []string{"http://", "https://"} {
		if strings.Contains(s, c) {
			return "must not contain " + c
		}
	}
	return ""
}

// nameModePart is a prefix or suffix of a custom node name (R34): letters,
// digits, - and ., starting with a letter and ending with a letter or
// digit, without -- or .. (lower case: the name is a Kubernetes node name).
var nameModePart = regexp.MustCompile(`^[a-z]([-.a-z0-9]*[a-z0-9])?$`)

// checkNodeNameMode is R34: customized,PREFIX,ip,SUFFIX; the suffix may be
// empty. Its length, at most 64, leaves room for any IPv4 address in a
// node name of at most 64 characters.
func checkNodeNameMode(s string) string {
	parts := strings.Split(s, ",")
	const shape = "is not customized,PREFIX,ip,SUFFIX (such as customized,aliyun,ip,com)"
	if len(parts) != 4 || parts[0] != "customized" || parts[2] != "ip" {
		return shape
	}
	for i, p := range []string{parts[1], parts[3]} {
		if p == "" && i == 1 {
			continue
		}
		if !nameModePart.MatchString(p) || strings.Contains(p, "--") || strings.Contains(p, "..") {
			return "has a prefix or suffix that is not lower-case letters, digits, - and ., starting with a letter, " +
				"ending with a letter or digit, without -- or .."
		}
	}
	return ""
}
