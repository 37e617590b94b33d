package hostile

import (
	"net/http"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
)

func acs3Cases() []tamperCase {
	return []tamperCase{
		{"acs3/control: correctly signed", func(f *fixture) []*wireReq {
			return one(f.acs3(f.a, "GET", list, nil))
		}, http.StatusOK, ""},
		{"acs3/replayed nonce: the identical request twice", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			return []*wireReq{w, w}
		}, bad, ackscale.CodeNonceUsed},
		{"acs3/stale x-acs-date (-16 min)", func(f *fixture) []*wireReq {
			return one(f.acs3(f.a, "GET", list, nil, withHeader("x-acs-date", acsDate(-16*time.Minute))))
		}, bad, ackscale.CodeTimestampExpired},
		{"acs3/future x-acs-date (+16 min)", func(f *fixture) []*wireReq {
			return one(f.acs3(f.a, "GET", list, nil, withHeader("x-acs-date", acsDate(16*time.Minute))))
		}, bad, ackscale.CodeTimestampExpired},
		{"acs3/x-acs-date -14 min, inside the window: accepted", func(f *fixture) []*wireReq {
			return one(f.acs3(f.a, "GET", list, nil, withHeader("x-acs-date", acsDate(-14*time.Minute))))
		}, http.StatusOK, ""},
		{"acs3/x-acs-date not ISO 8601", func(f *fixture) []*wireReq {
			return one(f.acs3(f.a, "GET", list, nil, withHeader("x-acs-date", httpDate(0))))
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/body changed, x-acs-content-sha256 kept", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "POST", "/clusters", createBody("signed"))
			w.body = createBody("sent")
			return one(w)
		}, bad, ackscale.CodeContentSHA256Mismatch},
		{"acs3/body changed, x-acs-content-sha256 recomputed, old signature", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "POST", "/clusters", createBody("signed"))
			w.body = createBody("sent")
			w.set("x-acs-content-sha256", hexSHA256(w.body))
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/body changed, x-acs-content-sha256 removed", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "POST", "/clusters", createBody("signed"))
			w.body = createBody("sent")
			w.del("x-acs-content-sha256")
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/body changed, empty x-acs-content-sha256 signed", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "POST", "/clusters", createBody("signed"), withHeader("x-acs-content-sha256", ""))
			w.body = createBody("sent")
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/path changed /clusters/X -> /clusters/Y", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", "/clusters/"+f.cluster1, nil)
			w.target = "/clusters/" + f.cluster2
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/path changed, trailing slash", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", "/clusters/"+f.cluster1, nil)
			w.target += "/"
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/query changed page_size=1 -> page_size=2", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list+"?page_size=1", nil)
			w.target = list + "?page_size=2"
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/query parameter added", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list+"?page_size=1", nil)
			w.target += "&name=hostile-1"
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/query names re-encoded: name=x&page_size=1 -> name%3Dx%26page_size=1", func(f *fixture) []*wireReq {
			// Two parameters turned into one whose name holds "=" and "&":
			// the handler then sees neither. The canonical query must tell
			// them apart, so the signature must not match.
			w := f.acs3(f.a, "GET", list+"?name=hostile-1&page_size=1", nil)
			w.target = list + "?name%3Dhostile-1%26page_size=1"
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/query parameter repeated", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list+"?page_size=1", nil)
			w.target = list + "?page_size=100&page_size=1"
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/method changed GET -> DELETE", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", "/clusters/"+f.cluster2, nil)
			w.method = "DELETE"
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/Host changed", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.host = "cs.cn-hangzhou.aliyuncs.com"
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/x-acs-* header added after signing", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.set("x-acs-security-token", "forged")
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/signed x-acs-action changed", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.set("x-acs-action", "DeleteCluster")
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/SignedHeaders shortened (x-acs-action dropped)", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			setAuthField(w, "SignedHeaders", strings.Join(withoutName(acs3SignedHeaders(w.header), "x-acs-action"), ";"))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/SignedHeaders without host", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			setAuthField(w, "SignedHeaders", strings.Join(withoutName(acs3SignedHeaders(w.header), "host"), ";"))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/header names in odd case (X-ACS-DATE is x-acs-date): accepted", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.rename(oddCase)
			return one(w)
		}, http.StatusOK, ""},
		{"acs3/x-acs-date twice (x-acs-date, X-ACS-DATE), two values", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.add("X-ACS-DATE", acsDate(-20*time.Minute))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/x-acs-date twice, both signed", func(f *fixture) []*wireReq {
			return one(f.acs3(f.a, "GET", list, nil, func(w *wireReq) {
				w.header["x-acs-date"] = []string{acsDate(0), acsDate(-20 * time.Minute)}
			}))
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/x-acs-content-sha256 twice (body A's and body B's)", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "POST", "/clusters", createBody("signed"))
			w.body = createBody("sent")
			w.add("X-Acs-Content-Sha256", hexSHA256(w.body))
			return one(w)
		}, bad, ackscale.CodeContentSHA256Mismatch},
		{"acs3/Authorization twice, same value", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.add("Authorization", w.get("Authorization"))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/Authorization twice, other spelling, other account's", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			other := f.acs3(f.b, "GET", list, nil, withHeader("x-acs-signature-nonce", w.get("x-acs-signature-nonce")),
				withHeader("x-acs-date", w.get("x-acs-date")))
			w.add("authorization", other.get("Authorization"))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/unknown access key", func(f *fixture) []*wireReq {
			return one(f.acs3(unknown, "GET", list, nil))
		}, notFound, ackscale.CodeAccessKeyNotFound},
		{"acs3/wrong secret", func(f *fixture) []*wireReq {
			return one(f.acs3(account{f.a.key, "wrong-secret"}, "GET", list, nil))
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/other account's Credential, this account's signature", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			setAuthField(w, "Credential", f.b.key)
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"acs3/Authorization without Signature", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.set("Authorization", "ACS3-HMAC-SHA256 Credential="+f.a.key+",SignedHeaders="+strings.Join(acs3SignedHeaders(w.header), ";"))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/SignedHeaders in upper case", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			setAuthField(w, "SignedHeaders", strings.ToUpper(strings.Join(acs3SignedHeaders(w.header), ";")))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/SignedHeaders lists authorization", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			setAuthField(w, "SignedHeaders", "authorization;"+strings.Join(acs3SignedHeaders(w.header), ";"))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"acs3/scheme name in lower case", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.set("Authorization", strings.Replace(w.get("Authorization"), "ACS3-HMAC-SHA256", "acs3-hmac-sha256", 1))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
	}
}

func withoutName(names []string, drop string) []string {
	var out []string
	for _, n := range names {
		if n != drop {
			out = append(out, n)
		}
	}
	return out
}

func roaCases() []tamperCase {
	return []tamperCase{
		{"roa/control: correctly signed", func(f *fixture) []*wireReq {
			return one(f.roa(f.a, "GET", list, nil, true))
		}, http.StatusOK, ""},
		{"roa/replayed nonce: the identical request twice", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", list, nil, true)
			return []*wireReq{w, w}
		}, bad, ackscale.CodeNonceUsed},
		{"roa/stale Date (-16 min)", func(f *fixture) []*wireReq {
			return one(f.roa(f.a, "GET", list, nil, true, withHeader("date", httpDate(-16*time.Minute))))
		}, bad, ackscale.CodeTimestampExpired},
		{"roa/future Date (+16 min)", func(f *fixture) []*wireReq {
			return one(f.roa(f.a, "GET", list, nil, true, withHeader("date", httpDate(16*time.Minute))))
		}, bad, ackscale.CodeTimestampExpired},
		{"roa/Date +14 min, inside the window: accepted", func(f *fixture) []*wireReq {
			return one(f.roa(f.a, "GET", list, nil, true, withHeader("date", httpDate(14*time.Minute))))
		}, http.StatusOK, ""},
		{"roa/Date missing", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", list, nil, true, withHeader("date", ""))
			w.del("date")
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"roa/Date in another zone (PST)", func(f *fixture) []*wireReq {
			pst := time.Now().UTC().Format("Mon, 02 Jan 2006 15:04:05") + " PST"
			return one(f.roa(f.a, "GET", list, nil, true, withHeader("date", pst)))
		}, bad, ackscale.CodeIncompleteSignature},
		{"roa/body changed, Content-MD5 kept", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "POST", "/clusters", createBody("signed"), true)
			w.body = createBody("sent")
			return one(w)
		}, bad, ackscale.CodeContentMD5Mismatch},
		{"roa/Content-MD5 of another body, signed", func(f *fixture) []*wireReq {
			return one(f.roa(f.a, "POST", "/clusters", createBody("signed"), true,
				withHeader("content-md5", base64MD5(createBody("other")))))
		}, bad, ackscale.CodeContentMD5Mismatch},
		{"roa/body changed, Content-MD5 recomputed, old signature", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "POST", "/clusters", createBody("signed"), true)
			w.body = createBody("sent")
			w.set("content-md5", base64MD5(w.body))
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"roa/path changed /clusters/X -> /clusters/Y", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", "/clusters/"+f.cluster1, nil, true)
			w.target = "/clusters/" + f.cluster2
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"roa/query changed page_size=1 -> page_size=2", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", list+"?page_size=1", nil, true)
			w.target = list + "?page_size=2"
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"roa/method changed GET -> DELETE", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", "/clusters/"+f.cluster2, nil, true)
			w.method = "DELETE"
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"roa/x-acs-* header added after signing", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", list, nil, true)
			w.set("x-acs-security-token", "forged")
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"roa/header names in odd case: accepted", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", list, nil, true)
			w.rename(oddCase)
			return one(w)
		}, http.StatusOK, ""},
		{"roa/Date twice (date, DATE), two values", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", list, nil, true)
			w.add("DATE", httpDate(-20*time.Minute))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"roa/x-acs-signature-nonce twice", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", list, nil, true)
			w.add("X-Acs-Signature-Nonce", nonce())
			return one(w)
		}, bad, ackscale.CodeSignatureMismatch},
		{"roa/Authorization twice", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", list, nil, true)
			w.add("AUTHORIZATION", w.get("Authorization"))
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
		{"roa/unknown access key", func(f *fixture) []*wireReq {
			return one(f.roa(unknown, "GET", list, nil, true))
		}, notFound, ackscale.CodeAccessKeyNotFound},
		{"roa/wrong secret", func(f *fixture) []*wireReq {
			return one(f.roa(account{f.a.key, "wrong-secret"}, "GET", list, nil, true))
		}, bad, ackscale.CodeSignatureMismatch},
		{"roa/Authorization without signature", func(f *fixture) []*wireReq {
			w := f.roa(f.a, "GET", list, nil, true)
			w.set("Authorization", "acs "+f.a.key)
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
	}
}

func otherCases() []tamperCase {
	return []tamperCase{
		{"no Authorization", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.del("Authorization")
			return one(w)
		}, http.StatusUnauthorized, ackscale.CodeMissingAuthorization},
		{"empty Authorization", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.set("Authorization", "")
			return one(w)
		}, http.StatusUnauthorized, ackscale.CodeMissingAuthorization},
		{"Bearer token", func(f *fixture) []*wireReq {
			w := f.acs3(f.a, "GET", list, nil)
			w.set("Authorization", "Bearer "+f.srv.AdminToken)
			return one(w)
		}, bad, ackscale.CodeIncompleteSignature},
	}
}
