package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec/websocket"
)

// The member actor: one per connection, TCP or WebSocket alike. It holds
// the client's nick (registered in the cluster's name registry), the rooms
// it is in with the last position it delivered of each, and its flood
// bucket; everything durable (the rooms' history, who is in them, who holds
// a nick) is the system's group store, in memory standalone and in
// JetStream on a cluster.

// whereGroup is the presence group every member in a room is in, with the
// rooms it is in as its info: what /rooms counts.
const whereGroup = "chat:where"

// limits are the flood control settings (flags -rate, -burst, -strikes).
type limits struct {
	rate    float64 // tokens a second
	burst   float64 // the bucket's size
	strikes int     // refused messages in a row before the connection is closed
}

// errFlooding and errReplaced are the reasons a member closes its
// connection with: WebSocket close codes with a reason, which a TCP
// connection ignores.
var (
	errFlooding = &websocket.CloseError{Code: websocket.ClosePolicyViolation, Reason: "flooding"}
	errReplaced = &websocket.CloseError{Code: 4001, Reason: "replaced by a new connection"}
)

// member is the actor of one connection.
type member struct {
	lim  limits
	text bool // a TCP client: one current room, no acks, readable answers

	nick    string // as typed; "" before one is registered
	name    string // its registry name ("nick:" + lower case)
	session string // the client's session ("" for none: keys are scoped to the connection)
	scope   string // what scopes the client's idempotency keys

	rooms   map[string]*room // the rooms it is in (or joining)
	current string           // a TCP client's room
	where   bool             // a member of whereGroup

	tokens  float64
	refill  time.Time
	refused int    // refused messages in a row
	stall   string // the key of a line refused by flood control: later keyed lines wait for it

	reqs  map[actor.RequestID]pending // what each request in flight is for
	keys  uint64                      // a TCP client's next key
	nicky bool                        // a nick registration in flight
	held  []any                       // what the client sent after its first nick, until it is registered
}

// maxHeld bounds what a client may send between its first nick and the
// answer (a reconnecting client sends its hello, its joins and its unsent
// lines at once).
const maxHeld = 256

// room is one room a member is in.
type room struct {
	pos     actor.Position // the last position delivered
	refs    []string       // the refs of the joins to answer once joined
	joining bool           // before its Recovered
	quiet   bool           // a rejoin after a nick change: no Joined to tell
	info    string         // the nick its presence shows
	// While member lists of the room are asked for (asks), the presence
	// events that arrive (seen): a list answered may be older than them.
	asks int
	seen []actor.Presence
	base int   // how many events were dropped from the front of seen
	open []int // the event counts the questions in flight were asked at, in order
}

// pending is a request in flight: its kind and what to answer with.
type pending struct {
	kind           int
	ref, key, room string
	nick, name     string    // registerNick, lookupTakeover, takeover
	to, text       string    // lookupMsg
	tries          int       // registerNick: tries after the old holder gave it up
	released       bool      // registerNick: the old holder gave it up
	until          time.Time // registerNick: when to stop waiting for a holder that does not answer
	from           int       // askMembers: the room's presence events seen before the question
	rm             *room     // askMembers: the room it was asked in
}

// The kinds of pending.
const (
	registerNick = iota + 1
	lookupTakeover
	requestTakeover
	lookupMsg
	publishLine
	askMembers
	askRooms
)

// takeoverWait bounds how long a hello waits for the nick's old holder of
// the same session to answer or to be released: longer than the cluster
// takes to declare a dead node down with its default heartbeat (4 s).
const takeoverWait = 15 * time.Second

// retryRegister is the timer that tries a nick's registration again after
// its old holder released it.
type retryRegister struct{ p pending }

func newMember(lim limits, text bool) actor.Factory {
	return func() actor.Actor {
		return &member{lim: lim, text: text, tokens: lim.burst, rooms: map[string]*room{}, reqs: map[actor.RequestID]pending{}}
	}
}

func (m *member) Receive(ctx *actor.Context) {
	switch msg := ctx.Message().(type) {
	case actor.Opened:
		m.scope = ctx.Self().String()
		m.refill = time.Now()
		if m.text {
			ctx.Write(notice{"welcome to Shoal chat: /nick NAME, then /join ROOM (/help lists the commands)"})
		}
	case actor.Response:
		m.answered(ctx, msg)
	case actor.Recovered:
		m.recovered(ctx, msg)
	case Line: // a line of a room this member is in, from the store
		if _, stored := ctx.Publication(); !stored { // from the client
			if m.take(ctx, msg) {
				m.request(ctx, msg)
			}
			return
		}
		m.deliver(ctx, msg)
	case actor.Presence:
		r, in := m.rooms[roomOf(msg.Group)]
		if !in {
			break
		}
		if r.asks > 0 { // applied to the member lists on their way
			r.seen = append(r.seen, msg)
		}
		if msg.Member.ID != ctx.Self() {
			ctx.Write(PresenceNote{Room: roomOf(msg.Group), Nick: msg.Member.Info, Joined: msg.Joined})
		}
	case privateMsg: // from another member, maybe on another node
		ctx.Write(Private(msg))
	case takeover:
		ok := m.session != "" && msg.Session == m.session
		ctx.Respond(released{OK: ok})
		if ok {
			ctx.UnregisterName(m.name)
			ctx.Write(Error{Text: "your nick was taken over by a new connection of your session"})
			ctx.CloseWith(errReplaced)
		}
	case retryRegister:
		m.register(ctx, msg.p)
	case actor.Closed, actor.Started, actor.Stopped:
		// The store releases the nick and leaves the groups at the end.
	default:
		say, keyed := msg.(Say)
		keyed = keyed && say.Key != ""
		if keyed && m.stall != "" && say.Key != m.stall {
			// Behind a line refused for now: refused too (it costs its token
			// like any message), so that a sender's lines keep their order
			// when it sends the refused one again.
			if m.take(ctx, msg) {
				e := refusal(msg)
				e.Text, e.Code = "slow down: message refused", "slow-down"
				ctx.Write(e)
			}
			return
		}
		if !m.take(ctx, msg) {
			if keyed && m.stall == "" {
				m.stall = say.Key
			}
			return
		}
		if keyed && say.Key == m.stall {
			m.stall = ""
		}
		m.request(ctx, msg)
	}
}

// waits reports whether msg, from the client, waits for its first nick to
// be registered.
func (m *member) waits(msg any) bool {
	switch msg.(type) {
	case Hello, Nick, Help, Quit, bad, notice:
		return false
	}
	return m.nicky && m.name == ""
}

// take takes a token from the flood bucket: false if there was none (the
// message is refused, and after lim.strikes of those in a row the
// connection is closed).
func (m *member) take(ctx *actor.Context, msg any) bool {
	now := time.Now()
	m.tokens = min(m.lim.burst, m.tokens+now.Sub(m.refill).Seconds()*m.lim.rate)
	m.refill = now
	if m.tokens >= 1 {
		m.tokens--
		m.refused = 0
		return true
	}
	m.refused++
	e := refusal(msg)
	if m.refused >= m.lim.strikes {
		e.Text, e.Code = "disconnected: flooding", "flooding"
		ctx.Write(e)
		ctx.CloseWith(errFlooding)
		return false
	}
	e.Text, e.Code = "slow down: message refused", "slow-down"
	ctx.Write(e)
	return false
}

// refusal is the error refusing msg, with its ref, key and room so the
// client knows which message it answers.
func refusal(msg any) Error {
	switch m := msg.(type) {
	case Hello:
		return Error{Ref: m.Ref}
	case Nick:
		return Error{Ref: m.Ref}
	case Join:
		return Error{Ref: m.Ref, Room: m.Room}
	case Leave:
		return Error{Ref: m.Ref, Room: m.Room}
	case Say:
		return Error{Key: m.Key, Room: m.Room}
	case Msg:
		return Error{Ref: m.Ref}
	case Who:
		return Error{Ref: m.Ref, Room: m.Room}
	case Rooms:
		return Error{Ref: m.Ref}
	case bad:
		return Error{Ref: m.Ref, Key: m.Key, Room: m.Room}
	}
	return Error{}
}

// request acts on a message from the client.
func (m *member) request(ctx *actor.Context, msg any) {
	if m.waits(msg) { // in order, once the first nick is set (or refused)
		if len(m.held) >= maxHeld {
			e := refusal(msg)
			e.Text, e.Code = fmt.Sprintf("at most %d messages before your nick is set", maxHeld), "slow-down"
			ctx.Write(e)
			return
		}
		m.held = append(m.held, msg)
		return
	}
	switch msg := msg.(type) {
	case Hello:
		if why := checkToken(msg.Session, false); msg.Session != "" && why != "" {
			ctx.Write(Error{Ref: msg.Ref, Text: why})
			return
		}
		if msg.Session != "" {
			m.session, m.scope = msg.Session, "s-"+msg.Session
		}
		m.setNick(ctx, msg.Nick, msg.Ref)
	case Nick:
		m.setNick(ctx, msg.Nick, msg.Ref)
	case Join:
		m.join(ctx, msg)
	case Leave:
		name := msg.Room
		if name == "" {
			name = m.current
		}
		r, _ := checkRoom(name)
		if _, in := m.rooms[r]; !in || r == "" {
			ctx.Write(Error{Ref: msg.Ref, Room: msg.Room, Text: notIn(name)})
			return
		}
		m.leave(ctx, r)
		ctx.Write(Left{Room: r, Ref: msg.Ref})
		m.updateWhere(ctx)
	case Say:
		m.say(ctx, msg)
	case Msg:
		m.private(ctx, msg)
	case Who:
		name := msg.Room
		if name == "" {
			name = m.current
		}
		if name == "" {
			ctx.Write(Error{Ref: msg.Ref, Text: "who is in which room? join one, or name it"})
			return
		}
		r, why := checkRoom(name)
		if why != "" {
			ctx.Write(Error{Ref: msg.Ref, Room: msg.Room, Text: why})
			return
		}
		m.ask(ctx, r, msg.Ref)
	case Rooms:
		id, err := ctx.Members(whereGroup)
		if err != nil {
			ctx.Write(Error{Ref: msg.Ref, Text: err.Error()})
			return
		}
		m.reqs[id] = pending{kind: askRooms, ref: msg.Ref}
	case Help:
		for _, u := range usage {
			ctx.Write(notice{u})
		}
	case Quit:
		ctx.Write(notice{"bye"})
		ctx.Close()
	case notice: // an empty line
	case bad:
		e := refusal(msg)
		e.Text = msg.Text
		ctx.Write(e)
	default:
		ctx.Write(Error{Text: fmt.Sprintf("a %T is not something a client sends", msg)})
	}
}

func notIn(room string) string {
	if room == "" {
		return "you are in no room"
	}
	return "you are not in " + room
}

// setNick registers nick in the cluster's name registry.
func (m *member) setNick(ctx *actor.Context, nick, ref string) {
	name, why := checkNick(nick)
	switch {
	case why != "":
		ctx.Write(Error{Ref: ref, Text: why})
	case m.nicky:
		ctx.Write(Error{Ref: ref, Text: "a nick change is on its way already"})
	case name == m.name:
		changed := nick != m.nick // the same nick in other letter case
		m.nick = nick
		ctx.Write(Welcome{Nick: nick, Ref: ref})
		for room, r := range m.rooms {
			if changed && !r.joining { // a room still joining is rejoined once recovered
				m.rejoin(ctx, room, r)
			}
		}
	default:
		m.register(ctx, pending{kind: registerNick, ref: ref, nick: nick, name: name})
	}
}

// nickDone ends a nick registration, and acts on what the client sent
// meanwhile.
func (m *member) nickDone(ctx *actor.Context) {
	m.nicky = false
	held := m.held
	m.held = nil
	for _, msg := range held {
		m.request(ctx, msg)
	}
}

// register asks the registry for p.name.
func (m *member) register(ctx *actor.Context, p pending) {
	id, err := ctx.RegisterName(p.name)
	if err != nil {
		ctx.Write(Error{Ref: p.ref, Text: err.Error()})
		m.nickDone(ctx)
		return
	}
	m.nicky = true
	p.kind = registerNick
	m.reqs[id] = p
}

// answered handles the answer to a request in flight.
func (m *member) answered(ctx *actor.Context, r actor.Response) {
	p, ok := m.reqs[r.ID]
	if !ok {
		return
	}
	delete(m.reqs, r.ID)
	switch p.kind {
	case registerNick:
		m.registered(ctx, p, r.Err)
	case lookupTakeover:
		holder, _ := r.Msg.(actor.ID)
		switch {
		case errors.Is(r.Err, actor.ErrNoName): // released meanwhile
			m.register(ctx, p)
		case r.Err != nil || holder == 0:
			ctx.Write(Error{Ref: p.ref, Text: fmt.Sprintf("nick %s: %v", p.nick, r.Err)})
			m.nickDone(ctx)
		default:
			id, err := ctx.Request(holder, takeover{Session: m.session}, 2*time.Second)
			if err != nil {
				ctx.Write(Error{Ref: p.ref, Text: "nick " + p.nick + " is taken"})
				m.nickDone(ctx)
				return
			}
			p.kind = requestTakeover
			m.reqs[id] = p
		}
	case requestTakeover:
		rel, _ := r.Msg.(released)
		switch {
		case r.Err == nil && rel.OK:
			p.released = true
			m.retry(ctx, p, 50*time.Millisecond)
		case r.Err != nil && time.Now().Before(p.until):
			// The holder does not answer: its node has died, most likely,
			// and the nick is released once the cluster declares it down
			// (within a few heartbeats). Ask again in a moment; what the
			// client sends meanwhile waits.
			m.retry(ctx, p, 500*time.Millisecond)
		default:
			ctx.Write(Error{Ref: p.ref, Text: "nick " + p.nick + " is taken"})
			m.nickDone(ctx)
		}
	case publishLine:
		if r.Err != nil {
			e := Error{Key: p.key, Room: p.room, Text: "not said: " + r.Err.Error()}
			if errors.Is(r.Err, actor.ErrTimeout) {
				e.Code = "retry" // it may have been stored: the same key again tells
			}
			ctx.Write(e)
			return
		}
		if pub, ok := r.Msg.(actor.Published); ok && !m.text {
			pos := pub.Position
			ctx.Write(Ack{Room: p.room, Key: p.key, Pos: &pos, Dup: pub.Duplicate})
		}
	case lookupMsg:
		holder, _ := r.Msg.(actor.ID)
		switch {
		case errors.Is(r.Err, actor.ErrNoName):
			ctx.Write(Error{Ref: p.ref, Text: "no such nick: " + p.to})
		case r.Err != nil:
			ctx.Write(Error{Ref: p.ref, Text: fmt.Sprintf("to %s: %v", p.to, r.Err)})
		default:
			if err := ctx.Send(holder, privateMsg{From: m.nick, Text: p.text}); err != nil {
				ctx.Write(Error{Ref: p.ref, Text: fmt.Sprintf("to %s: %v", p.to, err)})
				return
			}
			ctx.Write(Sent{To: p.to, Text: p.text, Ref: p.ref})
		}
	case askMembers:
		var seen []actor.Presence
		room, in := m.rooms[p.room]
		if in && p.rm == room { // the room it was asked in, not one joined again since
			seen = room.answered(p.from)
		}
		if r.Err != nil {
			ctx.Write(Error{Ref: p.ref, Room: p.room, Text: "who: " + r.Err.Error()})
			return
		}
		ms, _ := r.Msg.(actor.Members)
		ctx.Write(MemberList{Room: p.room, Nicks: memberNicks(ctx.Self(), m.nick, in, ms, seen), Ref: p.ref})
	case askRooms:
		if r.Err != nil {
			ctx.Write(Error{Ref: p.ref, Text: "rooms: " + r.Err.Error()})
			return
		}
		ms, _ := r.Msg.(actor.Members)
		count := map[string]int{}
		for _, x := range ms.Members {
			for _, room := range strings.Fields(x.Info) {
				count[room]++
			}
		}
		list := make([]RoomCount, 0, len(count))
		for room, n := range count {
			list = append(list, RoomCount{Room: room, Members: n})
		}
		slices.SortFunc(list, func(a, b RoomCount) int {
			if a.Members != b.Members {
				return b.Members - a.Members
			}
			return strings.Compare(a.Room, b.Room)
		})
		ctx.Write(RoomList{Rooms: list, Ref: p.ref})
	}
}

// memberNicks is a room's member list: the store's answer ms, with the
// presence events that arrived while it was on its way applied on top (in
// their order: the answer may be older than some of them, never newer
// than those that came before the question), and the member itself when
// it is in the room (its own join may not be written yet).
func memberNicks(self actor.ID, nick string, in bool, ms actor.Members, seen []actor.Presence) []string {
	who := make(map[actor.ID]string, len(ms.Members)+1)
	for _, x := range ms.Members {
		who[x.ID] = x.Info
	}
	for _, e := range seen {
		if e.Joined {
			who[e.Member.ID] = e.Member.Info
		} else {
			delete(who, e.Member.ID)
		}
	}
	if in {
		who[self] = nick
	}
	nicks := make([]string, 0, len(who))
	for _, n := range who {
		nicks = append(nicks, n)
	}
	slices.Sort(nicks)
	return nicks
}

// registered ends a nick registration.
func (m *member) registered(ctx *actor.Context, p pending, err error) {
	if err != nil {
		taken := errors.Is(err, actor.ErrNameTaken)
		if taken && p.released && (p.tries < 20 || time.Now().Before(p.until)) {
			m.retry(ctx, p, 50*time.Millisecond) // released by its old holder: the release is on its way
			return
		}
		if taken && m.session != "" && !p.released {
			// Maybe by this session's old connection, not yet known to be
			// gone: ask its holder to give it up.
			if p.until.IsZero() {
				p.until = time.Now().Add(takeoverWait)
			}
			if id, lerr := ctx.LookupName(p.name); lerr == nil {
				p.kind = lookupTakeover
				m.reqs[id] = p
				return
			}
		}
		if taken {
			ctx.Write(Error{Ref: p.ref, Text: "nick " + p.nick + " is taken"})
		} else {
			ctx.Write(Error{Ref: p.ref, Text: fmt.Sprintf("nick %s: %v", p.nick, err)})
		}
		m.nickDone(ctx)
		return
	}
	old := m.name
	m.nick, m.name = p.nick, p.name
	if old != "" && old != p.name {
		ctx.UnregisterName(old)
	}
	ctx.Write(Welcome{Nick: p.nick, Ref: p.ref})
	defer m.nickDone(ctx) // after the rejoins below
	// The rooms' presence shows the new nick: rejoin them, from where the
	// member is (nothing is replayed, nothing missed).
	for name, r := range m.rooms {
		if !r.joining { // a room still joining is rejoined once recovered
			m.rejoin(ctx, name, r)
		}
	}
}

// rejoin joins a room again under the member's nick, from the last
// position delivered (nothing replayed twice, nothing missed), quietly.
func (m *member) rejoin(ctx *actor.Context, name string, r *room) {
	ctx.Leave(roomGroup(name))
	r.joining, r.quiet, r.info = true, true, m.nick
	if err := ctx.JoinWith(roomGroup(name), actor.JoinOptions{Recover: true, Since: r.pos, Last: historyLast, Info: m.nick}); err != nil {
		m.leave(ctx, name)
		ctx.Write(Error{Room: name, Text: "rejoin: " + err.Error()})
		m.updateWhere(ctx)
	}
}

// retry registers p again in a moment (the old holder's release is
// written in the background).
func (m *member) retry(ctx *actor.Context, p pending, after time.Duration) {
	if p.released {
		p.tries++
	}
	if _, err := ctx.After(after, retryRegister{p}); err != nil {
		ctx.Write(Error{Ref: p.ref, Text: err.Error()})
		m.nickDone(ctx)
	}
}

// join enters a room: a recovery from msg.Since, or of the last lines.
func (m *member) join(ctx *actor.Context, msg Join) {
	name, why := checkRoom(msg.Room)
	switch {
	case m.name == "":
		ctx.Write(Error{Ref: msg.Ref, Room: msg.Room, Text: "choose a nick first (/nick NAME)"})
		return
	case why != "":
		ctx.Write(Error{Ref: msg.Ref, Room: msg.Room, Text: why})
		return
	case msg.Last < 0 || msg.Last > maxLast:
		ctx.Write(Error{Ref: msg.Ref, Room: msg.Room, Text: fmt.Sprintf("last is 0 to %d lines", maxLast)})
		return
	}
	if r, in := m.rooms[name]; in {
		if r.joining {
			r.refs = append(r.refs, msg.Ref) // answered once its recovery ends
			return
		}
		var pos *actor.Position
		if !r.pos.IsZero() {
			p := r.pos
			pos = &p
		}
		ctx.Write(Joined{Room: name, Pos: pos, Ref: msg.Ref})
		m.ask(ctx, name, "")
		return
	}
	if m.text && m.current != "" {
		m.leave(ctx, m.current)
	}
	if !m.text && len(m.rooms) >= maxRooms {
		ctx.Write(Error{Ref: msg.Ref, Room: name, Text: fmt.Sprintf("at most %d rooms at once", maxRooms)})
		return
	}
	o := actor.JoinOptions{Recover: true, Last: msg.Last, Info: m.nick}
	if msg.Since != nil {
		o.Since = *msg.Since
	} else if o.Last == 0 {
		o.Last = historyLast
	}
	if err := ctx.JoinWith(roomGroup(name), o); err != nil {
		ctx.Write(Error{Ref: msg.Ref, Room: name, Text: err.Error()})
		return
	}
	ctx.WatchPresence(roomGroup(name))
	m.rooms[name] = &room{refs: []string{msg.Ref}, joining: true, pos: o.Since, info: m.nick}
	if m.text {
		m.current = name
	}
	m.updateWhere(ctx)
}

// recovered ends a join's replay.
func (m *member) recovered(ctx *actor.Context, rec actor.Recovered) {
	name := roomOf(rec.Group)
	r, in := m.rooms[name]
	if !in {
		return // left meanwhile
	}
	if rec.Err != nil {
		// History no longer reaches back to where the client was: say so,
		// and join with what is there.
		ctx.Write(Gap{Room: name, Text: "some lines were missed (" + rec.Err.Error() + ")"})
		o := actor.JoinOptions{Recover: true, Last: historyLast, Info: m.nick}
		r.info = m.nick
		if err := ctx.JoinWith(rec.Group, o); err != nil {
			m.leave(ctx, name)
			for _, ref := range r.refs {
				ctx.Write(Error{Ref: ref, Room: name, Text: err.Error()})
			}
			m.updateWhere(ctx)
		}
		return
	}
	if !rec.Last.IsZero() {
		r.pos = rec.Last
	}
	r.joining = false
	quiet := r.quiet && len(r.refs) == 0 // a rejoin nobody asked for
	r.quiet = false
	if !quiet {
		var pos *actor.Position
		if !r.pos.IsZero() {
			p := r.pos
			pos = &p
		}
		for _, ref := range r.refs {
			ctx.Write(Joined{Room: name, Pos: pos, Count: rec.Count, Ref: ref})
		}
		r.refs = nil
		m.ask(ctx, name, "")
	}
	if r.info != m.nick { // the nick changed while it was joining
		m.rejoin(ctx, name, r)
	}
}

// deliver writes a line of a room to the client, with its position.
func (m *member) deliver(ctx *actor.Context, l Line) {
	p, ok := ctx.Publication()
	if !ok {
		return
	}
	r, in := m.rooms[roomOf(p.Group)]
	if !in {
		return
	}
	r.pos = p.Position
	l.Pos = &p.Position
	ctx.Write(l)
}

// say publishes a line to a room, acknowledged once stored.
func (m *member) say(ctx *actor.Context, msg Say) {
	name := msg.Room
	if name == "" {
		name = m.current
	}
	r, _ := checkRoom(name)
	if _, in := m.rooms[r]; !in || r == "" {
		if name == "" {
			ctx.Write(Error{Key: msg.Key, Text: "join a room first (/join ROOM)"})
		} else {
			ctx.Write(Error{Key: msg.Key, Room: msg.Room, Text: notIn(name)})
		}
		return
	}
	if why := checkText(msg.Text); why != "" {
		ctx.Write(Error{Key: msg.Key, Room: r, Text: why})
		return
	}
	key := msg.Key
	if key == "" { // TCP, or a client that does not resend
		m.keys++
		key = "auto-" + strconv.FormatUint(m.keys, 10)
	} else if why := checkToken(key, true); why != "" {
		ctx.Write(Error{Key: msg.Key, Room: r, Text: why})
		return
	}
	id, err := ctx.PublishAck(roomGroup(r), m.scope+"/"+key, Line{Room: r, From: m.nick, Text: msg.Text})
	if err != nil {
		ctx.Write(Error{Key: msg.Key, Room: r, Text: "not said: " + err.Error()})
		return
	}
	m.reqs[id] = pending{kind: publishLine, key: msg.Key, room: r}
}

// private sends a line to one nick's holder.
func (m *member) private(ctx *actor.Context, msg Msg) {
	name, why := checkNick(msg.To)
	if why == "" {
		why = checkText(msg.Text)
	}
	if m.name == "" {
		why = "choose a nick first (/nick NAME)"
	}
	if why != "" {
		ctx.Write(Error{Ref: msg.Ref, Text: why})
		return
	}
	id, err := ctx.LookupName(name)
	if err != nil {
		ctx.Write(Error{Ref: msg.Ref, Text: err.Error()})
		return
	}
	m.reqs[id] = pending{kind: lookupMsg, ref: msg.Ref, to: msg.To, text: msg.Text}
}

// ask asks for a room's members, answered with a MemberList.
func (m *member) ask(ctx *actor.Context, name, ref string) {
	id, err := ctx.Members(roomGroup(name))
	if err != nil {
		ctx.Write(Error{Ref: ref, Room: name, Text: err.Error()})
		return
	}
	p := pending{kind: askMembers, ref: ref, room: name}
	if r, in := m.rooms[name]; in {
		r.asks++
		p.rm = r
		p.from = r.base + len(r.seen) // the events after these may be newer than the answer
		r.open = append(r.open, p.from)
	}
	m.reqs[id] = p
}

// answered returns the presence events that came after a question asked
// at from, and forgets those no question in flight needs any more.
func (r *room) answered(from int) []actor.Presence {
	var seen []actor.Presence
	if i := from - r.base; i >= 0 && i <= len(r.seen) {
		seen = slices.Clone(r.seen[i:])
	}
	if i := slices.Index(r.open, from); i >= 0 {
		r.open = slices.Delete(r.open, i, i+1)
	}
	if r.asks--; r.asks <= 0 || len(r.open) == 0 {
		r.base += len(r.seen)
		r.asks, r.seen, r.open = 0, nil, nil
		return seen
	}
	if drop := r.open[0] - r.base; drop > 0 { // the oldest question in flight needs nothing before it
		r.seen = slices.Delete(r.seen, 0, drop)
		r.base = r.open[0]
	}
	return seen
}

// leave leaves a room.
func (m *member) leave(ctx *actor.Context, name string) {
	if r := m.rooms[name]; r != nil && r.joining {
		for _, ref := range r.refs { // joins that will not end: answered here
			if ref != "" {
				ctx.Write(Error{Ref: ref, Room: name, Text: "left " + name + " before the join was done"})
			}
		}
	}
	ctx.Leave(roomGroup(name))
	ctx.UnwatchPresence(roomGroup(name))
	delete(m.rooms, name)
	if m.current == name {
		m.current = ""
	}
}

// updateWhere rejoins whereGroup with the rooms the member is in as its
// info (or leaves it for none).
func (m *member) updateWhere(ctx *actor.Context) {
	if m.where {
		ctx.Leave(whereGroup)
		m.where = false
	}
	if len(m.rooms) == 0 {
		return
	}
	names := make([]string, 0, len(m.rooms))
	for name := range m.rooms {
		names = append(names, name)
	}
	slices.Sort(names)
	if ctx.JoinWith(whereGroup, actor.JoinOptions{Info: strings.Join(names, " ")}) == nil {
		m.where = true
	}
}

func roomOf(group string) string { return strings.TrimPrefix(group, "room:") }
