package shard

import (
	"testing"

	"github.com/shoalrt/shoal/codec"
)

func TestAddrPacksAndUnpacks(t *testing.T) {
	tests := []struct {
		name              string
		node, shard, slot int
		gen               uint32
	}{
		{name: "zeroes", gen: 1},
		{name: "max", node: MaxNode, shard: MaxShards - 1, slot: MaxSlots - 1, gen: 1<<GenBits - 1},
		{name: "mixed", node: 3, shard: 17, slot: 123456, gen: 99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := MakeAddr(tt.node, tt.shard, tt.slot, tt.gen)
			if AddrNode(a) != tt.node || AddrShard(a) != tt.shard || AddrSlot(a) != tt.slot || AddrGen(a) != tt.gen {
				t.Fatalf("round trip of %+v gave node %d shard %d slot %d gen %d", tt, AddrNode(a), AddrShard(a), AddrSlot(a), AddrGen(a))
			}
		})
	}
}

func TestNextGenSkipsZero(t *testing.T) {
	if g := nextGen(1<<GenBits - 1); g != 1 {
		t.Fatalf("wrap gave %d, want 1", g)
	}
	if g := nextGen(0); g != 1 {
		t.Fatalf("first gen %d, want 1", g)
	}
}

func TestTableReusesSlotsOldestFirstWithNewGenerations(t *testing.T) {
	var tb table
	a := tb.alloc()
	b := tb.alloc()
	if a.slot == b.slot {
		t.Fatal("two live occupants share a slot")
	}
	aSlot, aGen := int(a.slot), a.gen
	a.state, b.state = stateOpen, stateOpen
	tb.release(a)
	if tb.lookup(aSlot, aGen) != nil {
		t.Fatal("a released slot still resolves")
	}
	// every other free slot of the first page comes before a's slot again
	seen := map[int32]bool{}
	for i := 0; i < pageSize-2; i++ {
		c := tb.alloc()
		c.state = stateOpen
		seen[c.slot] = true
	}
	if seen[int32(aSlot)] {
		t.Fatal("a freed slot was reused before older free slots")
	}
	c := tb.alloc()
	if int(c.slot) != aSlot || c.gen == aGen {
		t.Fatalf("got slot %d gen %d; want slot %d with a generation other than %d", c.slot, c.gen, aSlot, aGen)
	}
	if tb.live != pageSize {
		t.Fatalf("live = %d, want %d", tb.live, pageSize)
	}
}

func TestTablePointersSurviveGrowth(t *testing.T) {
	var tb table
	first := tb.alloc()
	first.state = stateOpen
	first.fd = 42
	for i := 0; i < 3*pageSize; i++ {
		tb.alloc().state = stateOpen
	}
	if got := tb.lookup(int(first.slot), first.gen); got != first || got.fd != 42 {
		t.Fatal("a *Conn moved when the table grew")
	}
}

func TestFrameBoxCarriesFramesWithoutAllocating(t *testing.T) {
	box := newFrameBox([]byte(nil))
	frame := []byte("hello")
	v := box.set(frame)
	if b, ok := v.([]byte); !ok || string(b) != "hello" {
		t.Fatalf("box holds %#v", v)
	}
	if !box.aliases(v) || !box.aliases(frame[1:3]) || box.aliases([]byte("hello")) || box.aliases("hello") {
		t.Fatal("aliases is wrong")
	}
	text := newFrameBox(codec.Text(nil))
	tv := text.set(frame)
	if b, ok := tv.(codec.Text); !ok || string(b) != "hello" {
		t.Fatalf("text box holds %#v", tv)
	}
	if !text.aliases(tv) || !text.aliases(codec.Text(frame[1:3])) || text.aliases(frame) || box.aliases(tv) {
		t.Fatal("aliases of a text box is wrong")
	}
	other := []byte("world!")
	allocs := testing.AllocsPerRun(100, func() {
		v = box.set(other)
	})
	if allocs != 0 {
		t.Fatalf("set allocates %v times", allocs)
	}
	if b := v.([]byte); string(b) != "world!" {
		t.Fatalf("box holds %q", b)
	}
}
