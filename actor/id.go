package actor

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shoalrt/shoal/shard"
)

// ID addresses one actor anywhere in a cluster. It packs the node, the shard,
// the slot in that shard and the slot's generation:
//
//	| node: 10 bits | shard: 8 | slot: 22 | generation: 24 |
//
// The generation changes each time a slot is reused, so a stale ID (of a
// closed connection or stopped actor) never reaches the slot's next occupant,
// and any node can route an ID without a lookup. The zero ID names nobody.
//
// An ID is a small comparable value: use it as a map key, print it, store it.
// It encodes as text ("node:shard:slot:gen") in JSON, msgpack and any
// encoding that honours encoding.TextMarshaler, so JavaScript clients never
// see a 64-bit number they cannot hold.
type ID uint64

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == 0 }

// Node returns the node part of id.
func (id ID) Node() int { return shard.AddrNode(uint64(id)) }

// Shard returns the shard part of id.
func (id ID) Shard() int { return shard.AddrShard(uint64(id)) }

// Slot returns the slot part of id.
func (id ID) Slot() int { return shard.AddrSlot(uint64(id)) }

// Gen returns the generation part of id.
func (id ID) Gen() uint32 { return shard.AddrGen(uint64(id)) }

// String formats id as "node:shard:slot:gen".
func (id ID) String() string {
	return fmt.Sprintf("%d:%d:%d:%d", id.Node(), id.Shard(), id.Slot(), id.Gen())
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Limits of the parts of an ID.
const (
	// MaxNode is the largest node number (Node's argument, ID.Node).
	MaxNode = 1<<10 - 1
	// MaxShards is the largest number of shards a system can have.
	MaxShards = 1 << 8
)

// ParseID parses the form String produces.
func ParseID(s string) (ID, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 4 {
		return 0, fmt.Errorf("%w %q: want node:shard:slot:gen", ErrBadID, s)
	}
	limits := [4]uint64{shard.MaxNode, shard.MaxShards - 1, shard.MaxSlots - 1, 1<<shard.GenBits - 1}
	var v [4]uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil || n > limits[i] {
			return 0, fmt.Errorf("%w %q: part %d out of range 0..%d", ErrBadID, s, i+1, limits[i])
		}
		v[i] = n
	}
	return ID(shard.MakeAddr(int(v[0]), int(v[1]), int(v[2]), uint32(v[3]))), nil
}
