package catalog

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one thing wrong with a catalog document.
type Problem struct {
	// Path locates the value, e.g. regions[0].vpcs[0].vswitches[2].cidr.
	Path    string
	Message string
}

// String returns "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError is what Load and New return for a document that decodes
// but is not a valid catalog. It lists every problem found, section by
// section in document order.
type ValidationError struct {
	Problems []Problem
}

// maxShown caps how many problems Error spells out.
const maxShown = 10

// Error names each problem's path, e.g.
// `catalog: regions[0].vpcs[0].vswitches[2].cidr: "10.0.0.0/33" is not a CIDR`.
func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "catalog: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "catalog: %d problems: ", len(e.Problems))
	for i, p := range e.Problems[:min(len(e.Problems), maxShown)] {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	if len(e.Problems) > maxShown {
		fmt.Fprintf(&b, "; and %d more", len(e.Problems)-maxShown)
	}
	return b.String()
}

// validator collects the problems of one document.
type validator struct {
	problems []Problem
	// places maps each region, zone and ENS region id (one namespace, since
	// node names and stock entries use them interchangeably) to where it was
	// first defined.
	places        map[string]string
	zones         map[string]bool
	ens           map[string]bool
	instanceTypes map[string]bool
}

// validate checks a normalized document; nil means it is a valid catalog.
func validate(doc *Document) error {
	v := &validator{
		places: map[string]string{}, zones: map[string]bool{},
		ens: map[string]bool{}, instanceTypes: map[string]bool{},
	}
	if doc.Format != FormatVersion {
		v.addf("format", "must be %d, got %d", FormatVersion, doc.Format)
	}
	v.regions(doc.Regions)
	v.ensRegions(doc.ENSRegions)
	v.instanceTypeList(doc.InstanceTypes)
	v.images(doc.Images)
	v.diskCategories(doc.DiskCategories)
	v.stock(doc.Stock)
	v.quotas(doc.Quotas)
	v.kubernetes(doc.Kubernetes)
	if len(v.problems) > 0 {
		return &ValidationError{Problems: v.problems}
	}
	return nil
}

func (v *validator) addf(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) regions(regions []Region) {
	if len(regions) == 0 {
		v.addf("regions", "at least one region is required")
	}
	vpcIDs, vswIDs := map[string]string{}, map[string]string{}
	for i, reg := range regions {
		p := fmt.Sprintf("regions[%d]", i)
		v.place(p+".id", p, reg.ID)
		zones := map[string]bool{}
		if len(reg.Zones) == 0 {
			v.addf(p+".zones", "at least one zone is required")
		}
		for j, z := range reg.Zones {
			zp := fmt.Sprintf("%s.zones[%d]", p, j)
			if v.place(zp, zp, z) && !strings.HasPrefix(z, reg.ID+"-") {
				v.addf(zp, "%q does not start with the region id %q and \"-\"", z, reg.ID)
			}
			zones[z] = true
			v.zones[z] = true
		}
		v.vpcList(p, reg, zones, vpcIDs, vswIDs)
		v.names(p+".key_pairs", reg.KeyPairs)
	}
}

func (v *validator) vpcList(p string, reg Region, zones map[string]bool, vpcIDs, vswIDs map[string]string) {
	if len(reg.VPCs) == 0 {
		v.addf(p+".vpcs", "at least one VPC is required")
		return
	}
	defaultAt := ""
	for j, vpc := range reg.VPCs {
		vp := fmt.Sprintf("%s.vpcs[%d]", p, j)
		v.unique(vpcIDs, vp+".id", vp, vpc.ID)
		if vpc.Default {
			if defaultAt != "" {
				v.addf(vp+".default", "%s is already the default VPC", defaultAt)
			} else {
				defaultAt = vp
			}
		}
		v.vswitches(vp, reg.ID, vpc, zones, vswIDs)
	}
	if defaultAt == "" {
		v.addf(p+".vpcs", "no VPC is marked default; exactly one must be")
	}
}

func (v *validator) vswitches(vp, regionID string, vpc VPC, zones map[string]bool, vswIDs map[string]string) {
	vpcCIDR, vpcOK := v.cidr(vp+".cidr", vpc.CIDR, 8, 28)
	if len(vpc.VSwitches) == 0 {
		v.addf(vp+".vswitches", "at least one vSwitch is required")
	}
	var valid []indexedPrefix
	defaults := map[string]string{} // zone -> path of its default vSwitch
	for k, vsw := range vpc.VSwitches {
		sp := fmt.Sprintf("%s.vswitches[%d]", vp, k)
		v.unique(vswIDs, sp+".id", sp, vsw.ID)
		if !zones[vsw.ZoneID] {
			v.addf(sp+".zone_id", "%q is not a zone of %s", vsw.ZoneID, regionID)
		}
		if vsw.Default {
			switch prev, dup := defaults[vsw.ZoneID]; {
			case !vpc.Default:
				v.addf(sp+".default", "only vSwitches of the region's default VPC can be default")
			case dup:
				v.addf(sp+".default", "%s is already the default vSwitch of %s", prev, vsw.ZoneID)
			default:
				defaults[vsw.ZoneID] = sp
			}
		}
		pfx, ok := v.cidr(sp+".cidr", vsw.CIDR, 8, 29)
		if !ok || !vpcOK {
			continue
		}
		if pfx.Bits() < vpcCIDR.Bits() || !vpcCIDR.Contains(pfx.Addr()) {
			v.addf(sp+".cidr", "%s is not inside the VPC's %s", pfx, vpcCIDR)
			continue
		}
		valid = append(valid, indexedPrefix{pfx, k})
	}
	for _, o := range overlaps(valid) {
		v.addf(fmt.Sprintf("%s.vswitches[%d].cidr", vp, o.later.index), "%s overlaps vswitches[%d] (%s)",
			o.later.prefix, o.earlier.index, o.earlier.prefix)
	}
}

type indexedPrefix struct {
	prefix netip.Prefix
	index  int
}

type overlap struct{ earlier, later indexedPrefix }

// overlaps finds the overlapping prefixes in O(n log n): sorted by start
// address, a block overlaps an earlier one exactly when it starts before
// the furthest end seen so far (CIDR blocks nest or are disjoint).
func overlaps(ps []indexedPrefix) []overlap {
	sorted := slices.Clone(ps)
	slices.SortFunc(sorted, func(a, b indexedPrefix) int {
		return cmp.Or(a.prefix.Addr().Compare(b.prefix.Addr()), cmp.Compare(a.prefix.Bits(), b.prefix.Bits()),
			cmp.Compare(a.index, b.index))
	})
	var out []overlap
	var cover indexedPrefix // the block reaching furthest so far
	for i, cur := range sorted {
		if i > 0 && cover.prefix.Contains(cur.prefix.Addr()) {
			o := overlap{earlier: cover, later: cur}
			if o.earlier.index > o.later.index {
				o.earlier, o.later = o.later, o.earlier
			}
			out = append(out, o)
		}
		if i == 0 || lastAddr(cur.prefix).Compare(lastAddr(cover.prefix)) > 0 {
			cover = cur
		}
	}
	slices.SortFunc(out, func(a, b overlap) int { return cmp.Compare(a.later.index, b.later.index) })
	return out
}

// lastAddr returns the last address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	n := (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) | host
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

func (v *validator) ensRegions(ens []ENSRegion) {
	for i, e := range ens {
		p := fmt.Sprintf("ens_regions[%d]", i)
		if v.place(p+".id", p, e.ID) {
			v.ens[e.ID] = true
		}
		v.cidr(p+".cidr", e.CIDR, 8, 29)
		v.names(p+".key_pairs", e.KeyPairs)
	}
}

var validKinds = []string{KindECS, KindEBM, KindENS}

func (v *validator) instanceTypeList(types []InstanceType) {
	if len(types) == 0 {
		v.addf("instance_types", "at least one instance type is required")
	}
	seen := map[string]string{}
	for i, it := range types {
		p := fmt.Sprintf("instance_types[%d]", i)
		if v.unique(seen, p+".name", p, it.Name) {
			v.instanceTypes[it.Name] = true
		}
		switch {
		case it.Family == "":
			v.addf(p+".family", "is required")
		case !strings.HasPrefix(it.Name, it.Family+".") && !strings.HasPrefix(it.Name, it.Family+"-"):
			v.addf(p+".family", "%q is not the start of the name %q (up to a \".\" or \"-\")", it.Family, it.Name)
		}
		if v.oneOf(p+".kind", it.Kind, validKinds...) {
			want := "ecs."
			if it.Kind == KindENS {
				want = "ens."
			}
			if !strings.HasPrefix(it.Name, want) {
				v.addf(p+".kind", "an instance type of kind %q is named %s…, not %q", it.Kind, want, it.Name)
			}
		}
		v.oneOf(p+".arch", it.Arch, ArchX86, ArchARM)
		v.positive(p+".vcpu", it.VCPU)
		if !(it.MemoryGiB > 0) || math.IsInf(it.MemoryGiB, 0) {
			v.addf(p+".memory_gib", "must be a number greater than 0, got %v", it.MemoryGiB)
		}
		if it.GPU < 0 {
			v.addf(p+".gpu", "must not be negative, got %d", it.GPU)
		}
		if it.GPUModel != "" && it.GPU <= 0 {
			v.addf(p+".gpu_model", "is set but gpu is %d", it.GPU)
		}
		if it.BootSeconds <= 0 || it.BootSeconds > 86400 {
			v.addf(p+".boot_seconds", "must be between 1 and 86400, got %d", it.BootSeconds)
		}
	}
}

func (v *validator) images(images []Image) {
	if len(images) == 0 {
		v.addf("images", "at least one image is required")
	}
	seen := map[string]string{}
	defaults := map[[2]string]string{} // (platform, arch) -> path
	for i, img := range images {
		p := fmt.Sprintf("images[%d]", i)
		v.unique(seen, p+".id", p, img.ID)
		v.required(p+".os_name", img.OSName)
		v.oneOf(p+".os_type", img.OSType, OSLinux, OSWindows)
		v.required(p+".platform", img.Platform)
		v.oneOf(p+".arch", img.Arch, ArchX86, ArchARM)
		v.positive(p+".size_gib", img.SizeGiB)
		if len(img.Kinds) == 0 {
			v.addf(p+".kinds", "at least one of %s is required", strings.Join(validKinds, ", "))
		}
		for j, k := range img.Kinds {
			kp := fmt.Sprintf("%s.kinds[%d]", p, j)
			if v.oneOf(kp, k, validKinds...) && slices.Index(img.Kinds, k) < j {
				v.addf(kp, "%q is listed twice", k)
			}
		}
		if img.Default {
			key := [2]string{img.Platform, img.Arch}
			if prev, dup := defaults[key]; dup {
				v.addf(p+".default", "%s is already the default %s %s image", prev, img.Platform, img.Arch)
			} else {
				defaults[key] = p
			}
		}
	}
}

func (v *validator) diskCategories(disks []DiskCategory) {
	if len(disks) == 0 {
		v.addf("disk_categories", "at least one disk category is required")
	}
	seen := map[string]string{}
	for i, d := range disks {
		p := fmt.Sprintf("disk_categories[%d]", i)
		v.unique(seen, p+".name", p, d.Name)
		if d.System == (SizeRange{}) && d.Data == (SizeRange{}) {
			v.addf(p, "neither system nor data is set, so the category cannot be used")
		}
		v.sizeRange(p+".system", d.System)
		v.sizeRange(p+".data", d.Data)
	}
}

func (v *validator) sizeRange(p string, r SizeRange) {
	if r == (SizeRange{}) {
		return
	}
	if r.MinGiB <= 0 {
		v.addf(p+".min_gib", "must be greater than 0, got %d", r.MinGiB)
	}
	if r.MaxGiB < r.MinGiB {
		v.addf(p+".max_gib", "must be at least min_gib (%d), got %d", r.MinGiB, r.MaxGiB)
	}
}

func (v *validator) stock(limits []StockLimit) {
	seen := map[stockKey]string{}
	for i, s := range limits {
		p := fmt.Sprintf("stock[%d]", i)
		if !v.zones[s.ZoneID] && !v.ens[s.ZoneID] {
			v.addf(p+".zone_id", "%q is neither a zone nor an ENS region of the catalog", s.ZoneID)
		}
		if s.InstanceType != "" && !v.instanceTypes[s.InstanceType] {
			v.addf(p+".instance_type", "%q is not an instance type of the catalog", s.InstanceType)
		}
		if s.Count < 0 {
			v.addf(p+".count", "must not be negative, got %d", s.Count)
		}
		key := stockKey{s.ZoneID, s.InstanceType}
		if prev, dup := seen[key]; dup {
			v.addf(p, "%s already limits this zone and instance type", prev)
		} else {
			seen[key] = p
		}
	}
}

func (v *validator) quotas(q Quotas) {
	for _, f := range []struct {
		name string
		n    int
	}{
		{"ecs_instances_per_region", q.ECSInstancesPerRegion},
		{"ecs_vcpus_per_region", q.ECSVCPUsPerRegion},
		{"ens_instances", q.ENSInstances},
		{"workers_per_cluster", q.WorkersPerCluster},
	} {
		// normalize turned 0 into the default, so only negatives are left.
		if f.n < 0 {
			v.addf("quotas."+f.name, "must not be negative, got %d (leave it out for the default)", f.n)
		}
	}
}

var (
	kubeVersionRE    = regexp.MustCompile(`^[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(-[0-9A-Za-z.]{1,32})?$`)
	runtimeVersionRE = regexp.MustCompile(`^[0-9]{1,8}(\.[0-9]{1,8}){0,3}(-[0-9A-Za-z.]{1,32})?$`)
)

func (v *validator) kubernetes(k Kubernetes) {
	v.versions("kubernetes.versions", "kubernetes.default_version", k.Versions, k.DefaultVersion, kubeVersionRE)
	if len(k.Runtimes) == 0 {
		v.addf("kubernetes.runtimes", "at least one container runtime is required")
	}
	seen := map[string]string{}
	for i, rt := range k.Runtimes {
		p := fmt.Sprintf("kubernetes.runtimes[%d]", i)
		v.unique(seen, p+".name", p, rt.Name)
		v.versions(p+".versions", p+".default_version", rt.Versions, rt.DefaultVersion, runtimeVersionRE)
	}
}

func (v *validator) versions(p, defaultPath string, versions []string, def string, re *regexp.Regexp) {
	if len(versions) == 0 {
		v.addf(p, "at least one version is required")
	}
	for i, ver := range versions {
		vp := fmt.Sprintf("%s[%d]", p, i)
		switch {
		case !re.MatchString(ver):
			v.addf(vp, "%q is not a version like 1.34.4", ver)
		case slices.Index(versions, ver) < i:
			v.addf(vp, "%q is listed twice", ver)
		}
	}
	if len(versions) > 0 && !slices.Contains(versions, def) {
		v.addf(defaultPath, "%q is not one of %s", def, p)
	}
}

// place checks a region, zone or ENS region id: its shape and that no other
// region, zone or ENS region uses it. ok is false if there was a problem.
func (v *validator) place(path, owner, id string) (ok bool) {
	if !placeIDRE.MatchString(id) {
		v.addf(path, "%q must be lower-case letters, digits, \"-\" and \"_\" (like cn-hangzhou)", id)
		return false
	}
	return v.unique(v.places, path, owner, id)
}

var placeIDRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9_-]{0,62}[a-z0-9])?$`)

// unique checks a name or id (see name) and that seen holds no other use of
// it; it records owner as the first use. ok is false if there was a problem.
func (v *validator) unique(seen map[string]string, path, owner, id string) (ok bool) {
	if !v.name(path, id) {
		return false
	}
	if prev, dup := seen[id]; dup {
		v.addf(path, "%q is already used by %s", id, prev)
		return false
	}
	seen[id] = owner
	return true
}

// maxNameLen is the longest id or name, in characters.
const maxNameLen = 128

// name checks an id or name: 1 to 128 characters, none of them a space or
// a control character (ids such as vsw-2ze4jvvvade1yk899**** are kept as
// the seeds spell them).
func (v *validator) name(path, s string) bool {
	switch {
	case s == "":
		v.addf(path, "is required")
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
		v.addf(path, "%q must not contain spaces or control characters", s)
	case utf8.RuneCountInString(s) > maxNameLen:
		v.addf(path, "is longer than %d characters", maxNameLen)
	default:
		return true
	}
	return false
}

// names checks a list of names (key pairs): each valid, none twice.
func (v *validator) names(p string, names []string) {
	seen := map[string]string{}
	for i, n := range names {
		np := fmt.Sprintf("%s[%d]", p, i)
		v.unique(seen, np, np, n)
	}
}

func (v *validator) required(path, s string) {
	if strings.TrimSpace(s) == "" {
		v.addf(path, "is required")
	}
}

func (v *validator) positive(path string, n int) {
	if n <= 0 {
		v.addf(path, "must be greater than 0, got %d", n)
	}
}

// oneOf checks an enumerated value, case-sensitively.
func (v *validator) oneOf(path, s string, valid ...string) bool {
	if slices.Contains(valid, s) {
		return true
	}
	v.addf(path, "%q is not one of %s", s, strings.Join(valid, ", "))
	return false
}

// cidr checks an IPv4 CIDR block with a prefix length in [minBits, maxBits]
// written as its network address.
func (v *validator) cidr(path, s string, minBits, maxBits int) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		v.addf(path, "%q is not a CIDR", s)
	case !p.Addr().Is4():
		v.addf(path, "%q is not an IPv4 CIDR", s)
	case p.Bits() < minBits || p.Bits() > maxBits:
		v.addf(path, "%q: the prefix length must be between /%d and /%d", s, minBits, maxBits)
	case p.Masked() != p:
		v.addf(path, "%q is not a network address (did you mean %s?)", s, p.Masked())
	default:
		return p, true
	}
	return netip.Prefix{}, false
}
