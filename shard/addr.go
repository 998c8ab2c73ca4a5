package shard

// An address names one actor slot occupant anywhere in a cluster. Layout, most
// significant bit first:
//
//	| node: 10 | shard: 8 | slot: 22 | generation: 24 |
//
// Generation 0 is never used, so the zero address is invalid, and each reuse
// of a slot bumps the generation: a stale address never reaches a later
// occupant of the same slot until the slot has been reused 16,777,215 times
// (slots are reused in FIFO order, so that takes as many reuses of every slot).
const (
	// GenBits is the width of an address's generation.
	GenBits   = 24
	slotBits  = 22
	shardBits = 8
	nodeBits  = 10

	// MaxShards is the number of shards an address can name.
	MaxShards = 1 << shardBits
	// MaxSlots is the number of slots one shard can hold.
	MaxSlots = 1 << slotBits
	// MaxNode is the largest node number.
	MaxNode = 1<<nodeBits - 1

	genMask   = 1<<GenBits - 1
	slotShift = GenBits
	shardShft = GenBits + slotBits
	nodeShift = GenBits + slotBits + shardBits
)

// MakeAddr packs an address. Out-of-range parts are truncated to their field.
func MakeAddr(node, shard, slot int, gen uint32) uint64 {
	return uint64(node&MaxNode)<<nodeShift |
		uint64(shard&(MaxShards-1))<<shardShft |
		uint64(slot&(MaxSlots-1))<<slotShift |
		uint64(gen&genMask)
}

// AddrNode returns the node part of a.
func AddrNode(a uint64) int { return int(a >> nodeShift) }

// AddrShard returns the shard part of a.
func AddrShard(a uint64) int { return int(a>>shardShft) & (MaxShards - 1) }

// AddrSlot returns the slot part of a.
func AddrSlot(a uint64) int { return int(a>>slotShift) & (MaxSlots - 1) }

// AddrGen returns the generation part of a; 0 only for an invalid address.
func AddrGen(a uint64) uint32 { return uint32(a & genMask) }

func nextGen(g uint32) uint32 {
	g = (g + 1) & genMask
	if g == 0 {
		g = 1
	}
	return g
}
