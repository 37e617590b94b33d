package rules

import "github.com/ackscale/ackscale"

// tables are every rule table, in the order of the reference.
var tables = []Table{
	legacyTable(),
	standardTable(ackscale.ProfileLegacy),
	standardTable(ackscale.ProfileStandard),
	edgeTable(),
	standardTable(ackscale.ProfileEdge), // cloud workers on an edge cluster (R37)
	sandboxTable(),
	createTable(),
	deleteTable(),
	createPoolTable(),
	modifyPoolTable(),
	scalePoolTable(),
	removePoolNodesTable(),
}
