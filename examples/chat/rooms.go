package main

import (
	"slices"
	"time"

	"github.com/shoalrt/shoal/actor"
)

// Who is in a room, across the nodes: every node runs one rooms actor,
// which knows this node's members (they tell it where they are) and the
// other nodes' (their rooms actors tell it). When a node dies, the others'
// rooms actors drop its members and tell the members still here that they
// left, so no ghost stays in a room. What rooms actors say to each other
// goes point to point (one NATS subject per target node, so in order);
// only the first contact, hello, goes to a group all rooms actors join.

// Between a member and its node's rooms actor.
type (
	seatMsg struct{ Room, Name string } // the member sat down in Room as Name
	unseat  struct{}                    // the member left its room
	whoMsg  struct{}                    // who is in the member's room? (answered with Members)
)

// Between the rooms actors of different nodes (they cross: see serve).
type (
	// hello is published to roomsGroup by a rooms actor that does not know
	// another node's rooms actor yet.
	hello struct{ Rooms actor.ID }
	// roster is every member of the sender's node: the answer to a hello,
	// and to the first roster from a node.
	roster struct{ Seats []seat }
	// moved is a change of one member of the sender's node: Room "" is a
	// member who left.
	moved struct{ seat }
	seat  struct {
		Member     actor.ID
		Room, Name string
	}
)

// roomsGroup is the group every rooms actor joins, for hellos.
const roomsGroup = "chat:rooms"

// retryHello is the rooms actor's timer: say hello again while some node
// that is up has not answered.
type retryHello struct{}

// rooms is the rooms actor of one node.
type rooms struct {
	every time.Duration         // how often to say hello again while unanswered
	up    map[int]actor.ID      // the other nodes up, with their rooms actor once it is known (0 before)
	seats map[actor.ID]seat     // everyone in a room, on this node and the others
	in    map[string][]actor.ID // who is in each room
}

func newRooms(every time.Duration) actor.Factory {
	return func() actor.Actor {
		return &rooms{every: every, up: map[int]actor.ID{}, seats: map[actor.ID]seat{}, in: map[string][]actor.ID{}}
	}
}

func (r *rooms) Receive(ctx *actor.Context) {
	self := ctx.Self().Node()
	switch m := ctx.Message().(type) {
	case actor.Started:
		ctx.Join(roomsGroup)
		for _, n := range ctx.WatchNodes() {
			r.up[n] = 0
		}
		r.hello(ctx)
		ctx.Every(r.every, retryHello{})
	case actor.NodeUp:
		r.up[m.Node] = 0
		r.hello(ctx)
	case actor.NodeDown:
		delete(r.up, m.Node)
		r.dropNode(ctx, m.Node)
	case retryHello:
		r.hello(ctx)

	case seatMsg: // from a member of this node
		r.sit(seat{Member: ctx.Sender(), Room: m.Room, Name: m.Name})
		r.tellOthers(ctx, moved{seat{Member: ctx.Sender(), Room: m.Room, Name: m.Name}})
	case unseat:
		r.stand(ctx.Sender())
		r.tellOthers(ctx, moved{seat{Member: ctx.Sender()}})
	case whoMsg:
		var names []string
		room := r.seats[ctx.Sender()].Room
		for _, id := range r.in[room] {
			names = append(names, r.seats[id].Name)
		}
		slices.Sort(names)
		ctx.Send(ctx.Sender(), Members{Room: room, Names: names})

	case hello: // from another node's rooms actor, or this one's own
		n := m.Rooms.Node()
		if known, up := r.up[n]; n == self || !up || known == m.Rooms {
			return // its own, a node gone meanwhile, or one that knows us
		}
		r.up[n] = m.Rooms
		ctx.Send(m.Rooms, roster{Seats: r.local(self)})
	case roster:
		n := ctx.Sender().Node()
		known, up := r.up[n]
		if n == self || !up {
			return
		}
		r.up[n] = ctx.Sender()
		r.dropNode(nil, n) // the roster replaces what we knew of n
		for _, s := range m.Seats {
			r.sit(s)
		}
		if known != ctx.Sender() { // its first word to us: it learns ours too
			ctx.Send(ctx.Sender(), roster{Seats: r.local(self)})
		}
	case moved:
		if n := ctx.Sender().Node(); n == self || r.up[n] != ctx.Sender() {
			return // not from a rooms actor we know (an old incarnation's)
		}
		if m.Room == "" {
			r.stand(m.Member)
		} else {
			r.sit(m.seat)
		}
	}
}

// hello asks, once per call, the nodes up whose rooms actor is not known
// yet to make contact: one publication reaches all of them.
func (r *rooms) hello(ctx *actor.Context) {
	for _, known := range r.up {
		if known == 0 {
			ctx.Publish(roomsGroup, hello{Rooms: ctx.Self()})
			return
		}
	}
}

// tellOthers sends m to the rooms actor of every other node it knows.
func (r *rooms) tellOthers(ctx *actor.Context, m any) {
	for _, id := range r.up {
		if id != 0 {
			ctx.Send(id, m)
		}
	}
}

// local returns the seats of this node's members.
func (r *rooms) local(self int) []seat {
	var out []seat
	for id, s := range r.seats {
		if id.Node() == self {
			out = append(out, s)
		}
	}
	return out
}

// sit puts s.Member in s.Room (leaving the room it was in).
func (r *rooms) sit(s seat) {
	r.stand(s.Member)
	r.seats[s.Member] = s
	r.in[s.Room] = append(r.in[s.Room], s.Member)
}

// stand takes id out of its room.
func (r *rooms) stand(id actor.ID) {
	s, ok := r.seats[id]
	if !ok {
		return
	}
	delete(r.seats, id)
	r.in[s.Room] = slices.DeleteFunc(r.in[s.Room], func(x actor.ID) bool { return x == id })
	if len(r.in[s.Room]) == 0 {
		delete(r.in, s.Room)
	}
}

// dropNode takes node n's members out of their rooms and, with a ctx, tells
// this node's members of each room that they left.
func (r *rooms) dropNode(ctx *actor.Context, n int) {
	for id, s := range r.seats {
		if id.Node() != n {
			continue
		}
		r.stand(id)
		if ctx == nil {
			continue
		}
		for _, other := range r.in[s.Room] {
			if other.Node() == ctx.Self().Node() {
				ctx.Send(other, Left{Room: s.Room, Name: s.Name})
			}
		}
	}
}
