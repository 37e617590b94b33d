package rules

import (
	"strconv"

	"github.com/ackscale/ackscale"
)

func dataDisks(items []values) []ackscale.DataDisk {
	var out []ackscale.DataDisk
	for _, v := range items {
		size, _ := strconv.Atoi(v.str("size"))
		out = append(out, ackscale.DataDisk{Category: v.str("category"), SizeGiB: size, Encrypted: v.str("encrypted") == "true"})
	}
	return out
}

func tags(items []values) []ackscale.Tag {
	var out []ackscale.Tag
	for _, v := range items {
		out = append(out, ackscale.Tag{Key: v.str("key"), Value: v.str("value")})
	}
	return out
}

func taints(items []values) []ackscale.Taint {
	var out []ackscale.Taint
	for _, v := range items {
		out = append(out, ackscale.Taint{Key: v.str("key"), Value: v.str("value"), Effect: v.str("effect")})
	}
	return out
}

func runtime(v values) *ackscale.Runtime {
	if v == nil {
		return nil
	}
	return &ackscale.Runtime{Name: v.str("name"), Version: v.str("version")}
}
