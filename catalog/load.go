package catalog

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"os"
	"sync"
)

//go:embed default.json
var defaultJSON []byte

// MaxFileSize is the largest catalog Load reads.
const MaxFileSize = 16 << 20

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := Load(bytes.NewReader(defaultJSON))
	if err != nil {
		// Unreachable: TestDefault loads the embedded file on every test run.
		panic(fmt.Sprintf("catalog: the embedded default.json is invalid: %v", err))
	}
	return c
})

// Default returns the catalog embedded in the binary (default.json). It is
// parsed once, on first use, and shared: it must not be modified, and
// nothing can modify it through the Catalog's methods.
func Default() *Catalog { return defaultCatalog() }

// DefaultJSON returns the embedded default catalog as its file holds it, a
// starting point for a --catalog file.
func DefaultJSON() []byte { return bytes.Clone(defaultJSON) }

// LoadFile reads and checks the catalog file at path (see Load).
func LoadFile(path string) (*Catalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer f.Close()
	c, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Load reads one JSON catalog document from r and checks it. Decoding is
// strict: an unknown field, a value of the wrong type or anything after the
// document is an error that gives its line and column. The document is
// then validated (see Document and docs/cloud.md): a *ValidationError lists
// every problem, each with its path, such as
// regions[0].vpcs[0].vswitches[2].cidr.
func Load(r io.Reader) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("catalog: read: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("catalog: larger than %d bytes", MaxFileSize)
	}
	var doc Document
	if err := decode(data, &doc); err != nil {
		return nil, err
	}
	return build(doc)
}

// New checks doc as Load does and returns it as a Catalog. The Catalog keeps
// a copy: changing doc afterwards does not change it.
func New(doc Document) (*Catalog, error) { return build(doc.clone()) }

// build normalizes doc (which it owns), validates it and indexes it.
func build(doc Document) (*Catalog, error) {
	normalize(&doc)
	if err := validate(&doc); err != nil {
		return nil, err
	}
	return index(doc), nil
}

// normalize fills in what a file may leave out: the quota defaults and each
// vSwitch's region and VPC.
func normalize(doc *Document) {
	q := &doc.Quotas
	q.ECSInstancesPerRegion = orDefault(q.ECSInstancesPerRegion, DefaultECSInstancesPerRegion)
	q.ECSVCPUsPerRegion = orDefault(q.ECSVCPUsPerRegion, DefaultECSVCPUsPerRegion)
	q.ENSInstances = orDefault(q.ENSInstances, DefaultENSInstances)
	q.WorkersPerCluster = orDefault(q.WorkersPerCluster, DefaultWorkersPerCluster)
	for i := range doc.Regions {
		reg := &doc.Regions[i]
		for j := range reg.VPCs {
			vpc := &reg.VPCs[j]
			for k := range vpc.VSwitches {
				vpc.VSwitches[k].RegionID = reg.ID
				vpc.VSwitches[k].VPCID = vpc.ID
			}
		}
	}
}

// orDefault is cmp.Or for quotas: only 0 takes the default, so that a
// negative value still reaches validate and is refused.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
