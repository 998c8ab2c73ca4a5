package shard

import "testing"

// Two runs of a node (two fresh tables) hand out different IDs for the same
// slots, so an ID from an earlier run held by another node does not name an
// actor of this one; within a run, a slot's generation still moves on by one
// per reuse and never returns to an ID just released.
func TestTableGenerationsStartAtRandom(t *testing.T) {
	var a, b table
	same := 0
	for i := 0; i < 8; i++ {
		ca, cb := a.alloc(), b.alloc()
		if ca.slot != cb.slot {
			t.Fatalf("slots %d and %d: both tables should fill in the same order", ca.slot, cb.slot)
		}
		if ca.gen == 0 || cb.gen == 0 {
			t.Fatal("generation 0 is reserved for the zero address")
		}
		if ca.gen == cb.gen {
			same++
		}
	}
	if same == 8 {
		t.Fatal("two fresh tables gave the same generations to all 8 slots")
	}
	c := a.at(0)
	gen := c.gen
	a.release(c)
	for i := 0; i < pageSize; i++ { // cycle the free list back to slot 0
		if d := a.alloc(); d.slot == 0 {
			if d.gen != nextGen(gen) {
				t.Fatalf("reused slot 0 with generation %d, want %d", d.gen, nextGen(gen))
			}
			return
		}
	}
	t.Fatal("slot 0 never came back")
}
