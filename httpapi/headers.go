package httpapi

import (
	"net/http"
	"strings"

	"github.com/ackscale/ackscale"
)

// APIVersion is the only version of the CS API ackscale serves.
const APIVersion = "2015-12-15"

// CodeInvalidVersion is the code ACK's gateway answers a request for a
// version of the API it does not have with ("Specified parameter Version
// is not valid."). It is not in the root's table, so it is KindInvalid: 400.
const CodeInvalidVersion = "InvalidVersion"

// checkHeaders refuses what the handlers would otherwise ignore: another
// API version, and a body in a content coding. It runs after the
// signature check (ACS3 signs both headers) and before routing, as the
// version decides which API the path belongs to.
func checkHeaders(r *http.Request) error {
	if err := checkVersion(r.Header); err != nil {
		return err
	}
	return checkContentEncoding(r.Header)
}

// checkVersion accepts x-acs-version 2015-12-15, or none: clients that
// send none (or an empty one) get the only version there is.
func checkVersion(h http.Header) error {
	v := strings.Join(h.Values("x-acs-version"), ",")
	if v == "" || v == APIVersion {
		return nil
	}
	return ackscale.Errorf(CodeInvalidVersion,
		"x-acs-version %q is not a version of the CS API this server has; the supported version is %s", v, APIVersion)
}

// checkContentEncoding refuses a Content-Encoding other than identity:
// the body would otherwise be read, and its signature digest checked, as
// if it were not encoded.
func checkContentEncoding(h http.Header) error {
	v := strings.Join(h.Values("Content-Encoding"), ",")
	for coding := range strings.SplitSeq(v, ",") {
		if c := strings.TrimSpace(coding); c != "" && !strings.EqualFold(c, "identity") {
			return ackscale.Errorf(ackscale.CodeUnsupportedMedia,
				"Content-Encoding %q is not supported; send the body as is, without a Content-Encoding (or identity)", v)
		}
	}
	return nil
}
