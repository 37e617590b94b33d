// Package env reads from the environment which ackscale server the Go
// examples talk to, and with which key. Whatever it cannot read ends the
// program, as an example should.
package env

import (
	"encoding/json"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Server is the address of a running ackscale and the key it knows.
type Server struct {
	Host, Port       string
	KeyID, KeySecret string
}

// Lookup reads the server: ACKSCALE_ENDPOINT (host:port or
// http://host:port, default 127.0.0.1:9696), and ACKSCALE_ACCESS_KEY_ID and
// ACKSCALE_ACCESS_KEY_SECRET, else the key the server keeps in its data dir
// ($ACKSCALE_DATA, default ./ackscale-data).
func Lookup() Server {
	var s Server
	s.Host, s.Port = endpoint()
	s.KeyID, s.KeySecret = keys()
	return s
}

// endpoint is ACKSCALE_ENDPOINT as a host and a port.
func endpoint() (host, port string) {
	ep := strings.TrimPrefix(or("ACKSCALE_ENDPOINT", "127.0.0.1:9696"), "http://")
	host, port, err := net.SplitHostPort(strings.TrimSuffix(ep, "/"))
	if err != nil {
		log.Fatalf("ACKSCALE_ENDPOINT: %v", err)
	}
	return host, port
}

// keys is the environment's key, else the one the server keeps in its data
// dir.
func keys() (id, secret string) {
	id, secret = os.Getenv("ACKSCALE_ACCESS_KEY_ID"), os.Getenv("ACKSCALE_ACCESS_KEY_SECRET")
	if id != "" && secret != "" {
		return id, secret
	}
	b, err := os.ReadFile(filepath.Join(or("ACKSCALE_DATA", "ackscale-data"), "default-key.json"))
	if err != nil {
		log.Fatalf("no key: set ACKSCALE_ACCESS_KEY_ID/SECRET or run from the server's folder: %v", err)
	}
	var k struct {
		ID     string `json:"access_key_id"`
		Secret string `json:"access_key_secret"`
	}
	if err := json.Unmarshal(b, &k); err != nil {
		log.Fatal(err)
	}
	return k.ID, k.Secret
}

// Int is the environment's key as a number, def when it is not set.
func Int(key string, def int) int {
	n, err := strconv.Atoi(or(key, strconv.Itoa(def)))
	if err != nil {
		log.Fatalf("%s: %v", key, err)
	}
	return n
}

func or(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
