package cloud

// InstanceTypeVCPUs returns the vCPUs of a known instance type.
func (c *Cloud) InstanceTypeVCPUs(name string) (int, bool) {
	it, ok := c.cfg.Catalog.InstanceType(name)
	return it.VCPU, ok
}
