package actor

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/shoalrt/shoal/shard"
)

// This file is the actor side of groups with settings (store.go has their
// types): how actors publish to, join, recover, list and name through the
// system's GroupStore, and the recovery seam on the member's shard.

// storeFor returns the store and settings of group, refusing a group
// without settings, a bad name, and (need == needHistory) a group without
// history or (needPresence) without presence.
func (s *System) storeFor(group string, need int) (GroupStore, GroupSettings, error) {
	if err := checkGroupName(group); err != nil { // first: "" matches no settings, but is no name either
		return nil, GroupSettings{}, err
	}
	g, ok := s.cfg.groupSettings(group)
	switch {
	case !ok && need == needHistory:
		return nil, g, fmt.Errorf("%w: %q has no settings", ErrNoHistory, group)
	case !ok:
		return nil, g, fmt.Errorf("%w: %q has no settings", ErrNoPresence, group)
	case need == needHistory && !g.HasHistory():
		return nil, g, fmt.Errorf("%w: %q (settings %q)", ErrNoHistory, group, g.Pattern)
	case need == needPresence && !g.Presence:
		return nil, g, fmt.Errorf("%w: %q (settings %q)", ErrNoPresence, group, g.Pattern)
	}
	if s.store == nil {
		return nil, g, ErrNoStore
	}
	return s.store, g, nil
}

const (
	needHistory = iota + 1
	needPresence
)

// historyOf returns the settings of group when it has history: its
// publications go through the store.
func (s *System) historyOf(group string) (GroupSettings, bool) {
	if len(s.cfg.groups) == 0 { // the common case: no settings at all
		return GroupSettings{}, false
	}
	g, ok := s.cfg.groupSettings(group)
	return g, ok && g.HasHistory()
}

// storePublish hands a publication of a group with history to the store.
func (s *System) storePublish(from ID, group string, msg any, key string, ack func(Published, error)) error {
	if err := checkGroupName(group); err != nil {
		return err
	}
	if key != "" || ack != nil {
		if e := checkText(key, MaxIdempotencyKey); e != "" {
			return fmt.Errorf("%w: %s", ErrBadKey, e)
		}
	}
	if s.store == nil {
		return ErrNoStore
	}
	return s.store.Publish(&Publication{Group: group, From: from, Msg: msg}, key, ack)
}

// Publication returns the stored publication being handled: its group,
// position and publisher, with Msg the message itself. ok is false while
// handling anything else (a publication of a group without history has no
// position).
func (c *Context) Publication() (p Publication, ok bool) {
	if c.pub == nil {
		return Publication{}, false
	}
	p = *c.pub
	p.Msg = c.msg
	return p, true
}

// PublishAck publishes msg to a group with history, like Publish, and
// answers once it is stored: a Response with the returned ID whose Msg is
// a Published (its position), or whose Err says why not (ErrKeyReused,
// ErrTimeout after StoreTimeout, the store's error). key is the
// publication's idempotency key: publishing with the same key again within
// the group's DedupWindow stores nothing and answers with the first
// position (Duplicate), which lets a client resend after a reconnect
// without doubling anything. Errors returned at once (ErrNoHistory,
// ErrBadGroup, ErrBadKey, a full store) mean nothing was published.
func (c *Context) PublishAck(group, key string, msg any) (RequestID, error) {
	if _, _, err := c.sys.storeFor(group, needHistory); err != nil {
		return 0, err
	}
	if e := checkText(key, MaxIdempotencyKey); e != "" {
		return 0, fmt.Errorf("%w: %s", ErrBadKey, e)
	}
	msg = c.sh.CopyFrame(msg)
	id, answer := storeAnswer[Published](c)
	err := c.sys.storePublish(c.self, group, msg, key, answer)
	if err != nil {
		c.h.forgetRequest(id)
		return 0, err
	}
	return id, nil
}

// storeRequest opens a request to the store: its ID, pending with a
// StoreTimeout like a Request, and the function the store's callback calls
// to answer it (from the store's goroutine).
func (c *Context) storeRequest() (RequestID, func(any, error)) { return storeAnswer[any](c) }

// storeAnswer is storeRequest for a store callback that answers with a T:
// the callback itself, where a wrapper converting T to any would be a
// second closure per request (PublishAck's, one per publication).
func storeAnswer[T any](c *Context) (RequestID, func(T, error)) {
	h := c.h
	h.nextReq++
	id := h.nextReq
	t := c.sh.After(StoreTimeout, 0, uint64(c.self), requestTimeout{id: id})
	h.pending[id] = pendingRequest{timer: t, from: c.self, node: -1}
	h.pendingBy[c.self]++
	sys, self := c.sys, c.self
	return id, func(msg T, err error) {
		var m any
		if err == nil {
			m = msg
		}
		sys.set.Send(uint64(self), 0, &response{Response{ID: id, Msg: m, Err: err}})
	}
}

// History asks for the last n publications of a group with history: the
// answer is a Response with the returned ID whose Msg is a History, or
// whose Err says why not (ErrHistoryTooLarge for n above the group's
// MaxReplay or below 1, ErrTimeout).
func (c *Context) History(group string, n int) (RequestID, error) {
	st, g, err := c.sys.storeFor(group, needHistory)
	if err != nil {
		return 0, err
	}
	if n < 1 || n > g.MaxReplay {
		return 0, fmt.Errorf("%w: %d publications of %q (MaxReplay %d)", ErrHistoryTooLarge, n, group, g.MaxReplay)
	}
	id, answer := c.storeRequest()
	st.Read(group, false, Position{}, n, g.MaxReplay, func(hist History, err error) { answer(hist, err) })
	return id, nil
}

// JoinSince joins a group with history and recovers what was published
// after since: JoinWith with Recover.
func (c *Context) JoinSince(group string, since Position) error {
	return c.JoinWith(group, JoinOptions{Recover: true, Since: since})
}

// JoinWith makes this actor a member of a group with settings, with
// options: the info its presence shows (Info), and a recovery (Recover):
// every publication after Since still in history is delivered, in order,
// then a Recovered message, then the live ones, with no publication
// missing or doubled at the seam; if history cannot do that (see
// Recovered), the Recovered message says so and the actor is not a
// member. Errors returned at once: ErrJoined (a member already: Leave
// first), ErrNoHistory, ErrBadGroup, ErrNoStore, an Info over MaxInfo.
//
// Join on a group with settings is JoinWith without options.
func (c *Context) JoinWith(group string, o JoinOptions) error {
	if c.conn == nil {
		return ErrStopped
	}
	need := 0
	if o.Recover {
		need = needHistory
	}
	if err := checkGroupName(group); err != nil {
		return err
	}
	g, ok := c.sys.cfg.groupSettings(group)
	if !ok && need == 0 {
		c.sh.Join(c.conn, group) // a plain group: options mean nothing
		return nil
	}
	st, g, err := c.sys.storeFor(group, need)
	if err != nil && !(need == 0 && ok) {
		return err
	}
	if need == 0 && st == nil {
		if err := checkGroupName(group); err != nil {
			return err
		}
		if st = c.sys.store; st == nil {
			return ErrNoStore
		}
	}
	if len(o.Info) > MaxInfo {
		return fmt.Errorf("actor: JoinWith: Info of %d bytes, more than %d", len(o.Info), MaxInfo)
	}
	if o.Last < 0 || o.Last > g.MaxReplay {
		return fmt.Errorf("%w: Last %d (MaxReplay %d)", ErrHistoryTooLarge, o.Last, g.MaxReplay)
	}
	if c.sh.IsMember(c.conn, group) {
		return fmt.Errorf("%w: %q", ErrJoined, group)
	}
	h := c.h
	c.sh.Join(c.conn, group) // live publications reach this member from now on
	if g.Presence {
		h.present(c.self, group, o.Info)
	}
	if !o.Recover {
		return nil
	}
	// The seam: live publications are buffered until the store's answer,
	// which covers every publication up to some position at or after the
	// last that reached this shard before the join.
	if h.recov == nil {
		h.recov = make(map[memberKey]*recovery)
	}
	r := &recovery{since: o.Since, waiting: true, max: g.MaxReplay}
	k := memberKey{c.self, group}
	h.recov[k] = r
	sys := c.sys
	st.Read(group, true, o.Since, o.Last, g.MaxReplay, func(hist History, err error) {
		sys.set.Send(uint64(k.id), 0, &recoveryAnswer{key: k, rec: r, hist: hist, err: err})
	})
	return nil
}

// memberKey names one member of one group on a shard.
type memberKey struct {
	id    ID
	group string
}

// recovery is a member's recovery on its shard: waiting for the store's
// answer (live publications buffered meanwhile), then, past the seam,
// dropping live publications the answer already delivered until the first
// later one.
type recovery struct {
	since   Position
	waiting bool
	max     int
	buf     []*stored // live publications that arrived while waiting
	last    uint64    // past the seam: the last Seq delivered
}

// recoveryAnswer carries the store's answer to a recovery to the member.
type recoveryAnswer struct {
	key  memberKey
	rec  *recovery
	hist History
	err  error
}

// deliverStored delivers a stored publication to c's actor, through the
// seam of its recovery if it has one; it reports whether to deliver it.
func (h *handler) admitStored(c *shard.Conn, self ID, m *stored) bool {
	if len(h.recov) == 0 {
		return true
	}
	k := memberKey{self, m.pub.Group}
	r := h.recov[k]
	if r == nil {
		return true
	}
	if r.waiting {
		if len(r.buf) >= r.max+1024 {
			h.endRecovery(c, k, r, Recovered{Group: k.group, Since: r.since, Err: ErrRecoveryOverflow})
			return false
		}
		r.buf = append(r.buf, m)
		return false
	}
	if m.pub.Position.Seq <= r.last {
		return false // delivered by the replay
	}
	delete(h.recov, k) // past the seam for good: live ones come in order
	return true
}

// endRecovery gives up a member's recovery: it leaves the group and is
// told why.
func (h *handler) endRecovery(c *shard.Conn, k memberKey, r *recovery, why Recovered) {
	delete(h.recov, k)
	h.sh.Leave(c, k.group)
	h.absent(k.id, k.group)
	h.sh.Send(uint64(k.id), 0, &recoveredNote{why})
}

// recoveredNote carries a Recovered to the member through its queue (so it
// is never delivered inside another message's Receive).
type recoveredNote struct{ Recovered }

// replay delivers the store's answer to a recovery: the publications after
// since, Recovered, then what was buffered past them.
func (h *handler) replay(c *shard.Conn, a Actor, self ID, m *recoveryAnswer) {
	r, k := m.rec, m.key
	if k.id != self || h.recov[k] != r || !r.waiting {
		return // the member left, or closed and its slot was reused
	}
	group := k.group
	if m.err != nil {
		hist := m.hist
		hist.Publications = nil
		h.endRecovery(c, k, r, Recovered{Group: group, Since: r.since, Err: m.err, History: hist})
		return
	}
	r.waiting = false
	last := r.since.Seq
	count := 0
	ctx := &h.ctx
	for i := range m.hist.Publications {
		p := &m.hist.Publications[i]
		if p.Position.Seq <= last {
			continue
		}
		if !c.Open() || h.recov[k] != r {
			return // closed or left during the replay
		}
		last = p.Position.Seq
		count++
		h.deliverPub(c, a, self, p)
	}
	if !c.Open() || h.recov[k] != r {
		return
	}
	r.last = last
	ctx.conn, ctx.msg, ctx.req, ctx.pub = c, Recovered{Group: group, Since: r.since, Last: Position{Epoch: epochOf(r.since, m.hist), Seq: last}, Count: count, History: History{Group: group, Oldest: m.hist.Oldest, Latest: m.hist.Latest}}, nil, nil
	ctx.self, ctx.from = self, 0
	a.Receive(ctx)
	ctx.conn, ctx.msg = nil, nil
	buf := r.buf
	r.buf = nil
	seam := r.last
	for _, s := range buf {
		if !c.Open() || h.recov[k] != r {
			return // closed or left in a Receive
		}
		if s.pub.Position.Seq <= r.last {
			continue
		}
		r.last = s.pub.Position.Seq
		h.deliverPub(c, a, self, &s.pub)
	}
	if r.last > seam && h.recov[k] == r {
		delete(h.recov, k) // past the seam for good: what follows is live and in order
	}
}

// epochOf is the epoch of a recovery's last position: the history's.
func epochOf(since Position, hist History) uint64 {
	switch {
	case hist.Latest.Epoch != 0:
		return hist.Latest.Epoch
	case hist.Oldest.Epoch != 0:
		return hist.Oldest.Epoch
	}
	return since.Epoch
}

// deliverPub runs c's actor's Receive for a stored publication.
func (h *handler) deliverPub(c *shard.Conn, a Actor, self ID, p *Publication) {
	ctx := &h.ctx
	ctx.conn, ctx.msg, ctx.req, ctx.pub = c, p.Msg, nil, p
	ctx.self, ctx.from = self, p.From
	a.Receive(ctx)
	ctx.conn, ctx.msg, ctx.pub = nil, nil, nil
}

// present records a member of a presence group and tells the store.
func (h *handler) present(id ID, group, info string) {
	if h.presence == nil {
		h.presence = make(map[ID][]string)
	}
	h.presence[id] = append(h.presence[id], group)
	h.sys.store.Present(group, Member{ID: id, Info: info}, true)
}

// absent forgets id's presence in group, telling the store, if it had one.
func (h *handler) absent(id ID, group string) {
	if drop(h.presence, id, group) {
		h.sys.store.Present(group, Member{ID: id}, false)
	}
}

// drop removes s from id's list in m, forgetting an emptied list, and
// reports whether it was there.
func drop(m map[ID][]string, id ID, s string) bool {
	l := m[id]
	i := slices.Index(l, s)
	if i < 0 {
		return false
	}
	if l = slices.Delete(l, i, i+1); len(l) == 0 {
		delete(m, id)
	} else {
		m[id] = l
	}
	return true
}

// leftGroup is Leave's bookkeeping for groups with settings.
func (h *handler) leftGroup(id ID, group string) {
	if len(h.recov) > 0 {
		delete(h.recov, memberKey{id, group})
	}
	if len(h.presence) > 0 {
		h.absent(id, group)
	}
}

// gone forgets everything of id's groups with settings (closed, stopped,
// or restarted: the groups go with the incarnation); with names, its
// names too (closed or stopped).
func (h *handler) gone(id ID, names bool) {
	for k := range h.recov {
		if k.id == id {
			delete(h.recov, k)
		}
	}
	for _, g := range h.presence[id] {
		h.sys.store.Present(g, Member{ID: id}, false)
	}
	delete(h.presence, id)
	if ws := h.watching[id]; len(ws) > 0 {
		for _, g := range ws {
			h.sys.watchers.remove(h.sys, g, id)
		}
		delete(h.watching, id)
	}
	if names {
		for _, n := range h.names[id] {
			h.sys.store.Unregister(n, id)
		}
		delete(h.names, id)
	}
}

// Members asks for the members of a group with presence, on every node:
// the answer is a Response with the returned ID whose Msg is a Members.
// Joins and leaves are written to the store in the background, in order:
// an answer to a Members asked the moment after a JoinWith or a Leave
// (even the member's own) may not show it yet on a cluster; WatchPresence
// reports each once it is written.
func (c *Context) Members(group string) (RequestID, error) {
	st, _, err := c.sys.storeFor(group, needPresence)
	if err != nil {
		return 0, err
	}
	id, answer := c.storeRequest()
	st.Members(group, func(ms []Member, err error) { answer(Members{Group: group, Members: ms}, err) })
	return id, nil
}

// WatchPresence makes this actor receive a Presence message for every
// member joining or leaving a group with presence, on any node, until
// UnwatchPresence or its end. Watching twice is a no-op.
func (c *Context) WatchPresence(group string) error {
	if _, _, err := c.sys.storeFor(group, needPresence); err != nil {
		return err
	}
	h := c.h
	for _, g := range h.watching[c.self] {
		if g == group {
			return nil
		}
	}
	if h.watching == nil {
		h.watching = make(map[ID][]string)
	}
	h.watching[c.self] = append(h.watching[c.self], group)
	c.sys.watchers.add(c.sys, group, c.self)
	return nil
}

// UnwatchPresence stops WatchPresence.
func (c *Context) UnwatchPresence(group string) {
	if drop(c.h.watching, c.self, group) {
		c.sys.watchers.remove(c.sys, group, c.self)
	}
}

// RegisterName claims a unique name for this actor, across the cluster:
// the answer is a Response with the returned ID, with Err nil once the name
// is this actor's, or ErrNameTaken if another actor holds it. The name is
// released by UnregisterName, when the actor stops or closes, or when its
// node dies. Registering a name the actor holds already answers nil.
func (c *Context) RegisterName(name string) (RequestID, error) {
	if e := checkText(name, MaxName); e != "" {
		return 0, fmt.Errorf("%w: %s", ErrBadName, e)
	}
	st := c.sys.store
	if st == nil {
		return 0, ErrNoStore
	}
	h := c.h
	id, _ := c.storeRequest() // answered through nameAnswer, which undoes the record if refused
	if h.names == nil {
		h.names = make(map[ID][]string)
	}
	held := false
	for _, n := range h.names[c.self] {
		held = held || n == name
	}
	if !held { // recorded now, so the actor's end releases it even while the claim is on its way
		h.names[c.self] = append(h.names[c.self], name)
	}
	sys, self := c.sys, c.self
	st.Register(name, self, func(err error) {
		sys.set.Send(uint64(self), 0, &nameAnswer{response{Response{ID: id, Err: err}}, name})
	})
	return id, nil
}

// nameAnswer is the store's answer to RegisterName: a refusal drops the
// name from the actor's record before the Response is delivered.
type nameAnswer struct {
	response
	name string
}

// refused forgets a name that the store refused to self.
func (h *handler) refused(self ID, name string) { drop(h.names, self, name) }

// UnregisterName releases a name this actor holds. It returns at once and
// the release is written in the background: a LookupName right after it
// may still answer this actor; once written, anyone may register it.
func (c *Context) UnregisterName(name string) error {
	st := c.sys.store
	if st == nil {
		return ErrNoStore
	}
	if drop(c.h.names, c.self, name) {
		st.Unregister(name, c.self)
		return nil
	}
	return fmt.Errorf("%w: %q is not this actor's", ErrNoName, name)
}

// LookupName asks who holds a name: the answer is a Response with the
// returned ID whose Msg is the holder's ID, or whose Err is ErrNoName.
func (c *Context) LookupName(name string) (RequestID, error) {
	if e := checkText(name, MaxName); e != "" {
		return 0, fmt.Errorf("%w: %s", ErrBadName, e)
	}
	st := c.sys.store
	if st == nil {
		return 0, ErrNoStore
	}
	id, answer := c.storeRequest()
	st.Lookup(name, func(who ID, err error) { answer(who, err) })
	return id, nil
}

// The System's blocking forms, for goroutines outside the system.

// wait runs a store request from outside the shards and waits for its
// answer or ctx's end.
func wait[T any](ctx context.Context, ask func(reply func(T, error))) (T, error) {
	var zero T
	if shard.OnShard() {
		return zero, ErrOnShard
	}
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, 1)
	ask(func(v T, err error) { ch <- answer{v, err} })
	select {
	case a := <-ch:
		return a.v, a.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// PublishAck is Context.PublishAck from outside any actor (the members see
// a zero Sender): it waits for the answer or ctx's end. On a shard's
// goroutine it returns ErrOnShard.
func (s *System) PublishAck(ctx context.Context, group, key string, msg any) (Published, error) {
	if _, _, err := s.storeFor(group, needHistory); err != nil {
		return Published{}, err
	}
	if e := checkText(key, MaxIdempotencyKey); e != "" {
		return Published{}, fmt.Errorf("%w: %s", ErrBadKey, e)
	}
	var perr error
	p, err := wait(ctx, func(reply func(Published, error)) {
		perr = s.storePublish(0, group, msg, key, reply)
		if perr != nil {
			reply(Published{}, perr)
		}
	})
	return p, err
}

// History is Context.History from outside any actor: it waits for the
// answer or ctx's end.
func (s *System) History(ctx context.Context, group string, n int) (History, error) {
	st, g, err := s.storeFor(group, needHistory)
	if err != nil {
		return History{}, err
	}
	if n < 1 || n > g.MaxReplay {
		return History{}, fmt.Errorf("%w: %d publications of %q (MaxReplay %d)", ErrHistoryTooLarge, n, group, g.MaxReplay)
	}
	return wait(ctx, func(reply func(History, error)) {
		st.Read(group, false, Position{}, n, g.MaxReplay, reply)
	})
}

// Members is Context.Members from outside any actor.
func (s *System) Members(ctx context.Context, group string) ([]Member, error) {
	st, _, err := s.storeFor(group, needPresence)
	if err != nil {
		return nil, err
	}
	return wait(ctx, func(reply func([]Member, error)) { st.Members(group, reply) })
}

// LookupName is Context.LookupName from outside any actor.
func (s *System) LookupName(ctx context.Context, name string) (ID, error) {
	if e := checkText(name, MaxName); e != "" {
		return 0, fmt.Errorf("%w: %s", ErrBadName, e)
	}
	if s.store == nil {
		return 0, ErrNoStore
	}
	return wait(ctx, func(reply func(ID, error)) { s.store.Lookup(name, reply) })
}

// watchers are the actors watching groups' presence, on every shard.
type watchers struct {
	mu sync.Mutex
	by map[string]map[ID]struct{}
}

// add makes id a watcher of group; the store is told of the first.
func (w *watchers) add(s *System, group string, id ID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.by == nil {
		w.by = make(map[string]map[ID]struct{})
	}
	m := w.by[group]
	if m == nil {
		m = make(map[ID]struct{})
		w.by[group] = m
		s.store.Watch(group, true)
	}
	m[id] = struct{}{}
}

// remove stops id watching group; the store is told of the last.
func (w *watchers) remove(s *System, group string, id ID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.by[group]
	if m == nil {
		return
	}
	delete(m, id)
	if len(m) == 0 {
		delete(w.by, group)
		s.store.Watch(group, false)
	}
}

// of returns the watchers of group.
func (w *watchers) of(group string) []ID {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.by[group]
	ids := make([]ID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	return ids
}
