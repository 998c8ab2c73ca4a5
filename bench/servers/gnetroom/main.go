// Command gnetroom is a chat room written by hand on gnet v2, the peer that
// bench/cmd/compare's room scenarios set against Shoal's groups: every
// newline-terminated line any connection sends is written to every
// connection, the sender included. Everyone connected is in the one room.
//
//	gnetroom -addr 127.0.0.1:9004 [-combine=false] [-multicore]
//
// With -combine (the default) the lines read in a loop turn are appended to
// one pending buffer, and the room is written once per turn: one c.Write of
// the whole buffer per member. gnet v2.9.7 has no end-of-turn hook (OnTick
// is a timer; c.Write writes to the socket at once when nothing is queued;
// c.Flush only retries the outbound buffer). What runs after a turn's I/O
// callbacks is the loop's task queue: EventLoop.Execute (like AsyncWrite and
// Wake) queues a task and writes the loop's eventfd; the poller runs queued
// tasks after the I/O callbacks of the epoll_wait batch that reports the
// eventfd, which is the next one (epoll_wait with a zero timeout, as gnet
// polls again at once after a busy turn). So the first OnTraffic of a batch
// schedules one flush task, every OnTraffic until it runs appends to the
// same buffer, and the flush writes everything read in that turn and the
// next to each member in one system call.
//
// With -combine=false every line is written to every member as soon as it
// is read: members × lines system calls (the naive room).
package main

import (
	"bytes"
	"context"
	"flag"
	"log"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// room is the server. Every field is touched only on the event loop (there
// is one: -multicore=false), so nothing is locked.
type room struct {
	gnet.BuiltinEventEngine
	combine   bool
	members   []gnet.Conn // everyone connected; a member's index is its Context
	pending   []byte      // combine: lines read since the last flush
	scheduled bool        // combine: a flush task is queued
	flushTask gnet.RunnableFunc
}

func newRoom(combine bool) *room {
	r := &room{combine: combine}
	r.flushTask = func(context.Context) error { r.flush(); return nil }
	return r
}

// OnOpen makes c a member.
func (r *room) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(len(r.members))
	r.members = append(r.members, c)
	return nil, gnet.None
}

// OnClose removes c from the room: the last member takes its slot.
func (r *room) OnClose(c gnet.Conn, _ error) gnet.Action {
	i, ok := c.Context().(int)
	if !ok || i >= len(r.members) || r.members[i] != c {
		return gnet.None
	}
	last := len(r.members) - 1
	r.members[i] = r.members[last]
	r.members[i].SetContext(i)
	r.members[last] = nil
	r.members = r.members[:last]
	c.SetContext(nil)
	return gnet.None
}

// OnTraffic takes the complete lines readable on c (a partial line stays in
// c's inbound buffer) and fans them out, now or at the end of the turn.
func (r *room) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Peek(-1)
	end := bytes.LastIndexByte(buf, '\n') + 1
	if end == 0 {
		return gnet.None
	}
	lines := buf[:end]
	if r.combine {
		r.pending = append(r.pending, lines...)
		if !r.scheduled {
			r.scheduled = true
			if err := c.EventLoop().Execute(context.Background(), r.flushTask); err != nil {
				r.scheduled = false // shutting down
			}
		}
	} else {
		for len(lines) > 0 {
			n := bytes.IndexByte(lines, '\n') + 1
			r.writeAll(lines[:n])
			lines = lines[n:]
		}
	}
	_, _ = c.Discard(end)
	return gnet.None
}

// flush writes everything pending to every member, once each.
func (r *room) flush() {
	r.scheduled = false
	if len(r.pending) == 0 {
		return
	}
	r.writeAll(r.pending)
	r.pending = r.pending[:0]
}

// writeAll writes p to every member. c.Write sends at once, or appends to
// the member's outbound buffer if it is backed up (p is copied then). A
// member whose write fails is closed at once (OnClose moves the last member
// into its slot), so the loop runs backwards: the member moved has been
// written already, and none is skipped or written twice.
func (r *room) writeAll(p []byte) {
	for i := len(r.members) - 1; i >= 0; i-- {
		if i < len(r.members) {
			_, _ = r.members[i].Write(p)
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9004", "TCP address to listen on")
	combine := flag.Bool("combine", true, "write the room once per loop turn (false: once per line per member)")
	multicore := flag.Bool("multicore", false, "one event loop per CPU; the room needs one loop, so this is refused")
	flag.Parse()
	if *multicore {
		log.Fatal("gnetroom: the room lives on one event loop; -multicore is not supported")
	}

	log.Printf("gnetroom listening on %s (combine=%v)", *addr, *combine)
	err := gnet.Run(newRoom(*combine), "tcp://"+*addr,
		gnet.WithMulticore(false),
		gnet.WithLogLevel(logging.WarnLevel),
	)
	if err != nil {
		log.Fatal(err)
	}
}
