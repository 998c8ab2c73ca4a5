package shard

import (
	"math/rand/v2"

	"github.com/shoalrt/shoal/mailbox"
)

// table holds a shard's slots in fixed pages, so a *Conn stays valid while the
// table grows. Free slots are reused oldest first, which spreads generation
// bumps over every slot; each slot's generations start at a random value.
// Shard goroutine only.
type table struct {
	pages [][]Conn             // each of pageSize slots
	free  mailbox.Queue[int32] // free slot indices, oldest first
	live  int                  // occupied slots
}

const pageSize = 1024

// alloc takes a free slot, bumps its generation and returns it, or nil when the
// shard already holds MaxSlots occupants.
func (t *table) alloc() *Conn {
	slot, ok := t.free.Pop()
	if !ok {
		n := len(t.pages) * pageSize
		if n >= MaxSlots {
			return nil
		}
		page := make([]Conn, pageSize)
		for i := range page {
			page[i].slot = int32(n + i)
			page[i].fd = -1
			// A random first generation: IDs handed out by an earlier run of
			// this node (a restarted process, whose IDs other nodes may still
			// hold) almost never name this run's actors.
			page[i].gen = rand.Uint32() & genMask
			if i > 0 {
				t.free.Push(int32(n + i))
			}
		}
		t.pages = append(t.pages, page)
		slot = int32(n)
	}
	c := t.at(int(slot))
	c.gen = nextGen(c.gen)
	t.live++
	return c
}

// release frees c's slot; its address stops resolving at once.
func (t *table) release(c *Conn) {
	gen := c.gen
	*c = Conn{slot: c.slot, fd: -1, gen: gen}
	c.state = stateFree
	t.free.Push(c.slot)
	t.live--
}

// at returns slot i, which must be below the table's size.
func (t *table) at(i int) *Conn { return &t.pages[i/pageSize][i%pageSize] }

// lookup resolves an address's slot and generation to its live occupant.
func (t *table) lookup(slot int, gen uint32) *Conn {
	if slot >= len(t.pages)*pageSize {
		return nil
	}
	c := t.at(slot)
	if c.gen != gen || c.state == stateFree {
		return nil
	}
	return c
}

// each calls fn for every occupied slot.
func (t *table) each(fn func(*Conn)) {
	for _, page := range t.pages {
		for i := range page {
			if page[i].state != stateFree {
				fn(&page[i])
			}
		}
	}
}
