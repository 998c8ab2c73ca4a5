package actor

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"
)

// memStore is the GroupStore of a system without a cluster: history,
// presence and names in this process's memory, lost when the system stops
// (a new start is a new epoch). One goroutine of its own applies every
// operation in the order they were made, so publications are positioned
// and delivered in one order, and a recovery's answer reaches a shard after
// every publication it covers (the seam on the shard needs nothing more).
type memStore struct {
	mu      sync.Mutex
	running bool
	q       []memOp       // operations waiting for the goroutine
	pubs    int           // publications among them
	wake    chan struct{} // capacity 1
	done    chan struct{} // closed by Stop
	ended   chan struct{} // closed by the goroutine when it returns

	// The goroutine's own.
	sink     GroupSink
	epoch    uint64
	groups   map[string]*memGroup
	presence map[string]map[ID]string
	watched  map[string]bool
	names    map[string]ID
}

// memQueue bounds the publications waiting for the store's goroutine: past
// it Publish fails with ErrStoreBusy rather than grow without bound.
const memQueue = 1 << 16

// memOp is one operation for the store's goroutine.
type memOp struct {
	kind    memKind
	pub     *Publication
	key     string
	ack     func(Published, error)
	group   string
	recover bool
	since   Position
	n, max  int
	read    func(History, error)
	member  Member
	on      bool
	members func([]Member, error)
	name    string
	id      ID
	reg     func(error)
	lookup  func(ID, error)
}

type memKind uint8

const (
	memPublish memKind = iota
	memRead
	memPresent
	memMembers
	memWatch
	memRegister
	memUnregister
	memLookup
)

// memGroup is one group's history.
type memGroup struct {
	held []memPub // oldest first
	seq  uint64   // the last position given
	keys map[string]memKey
	fifo []keyAt // the keys in the order they were used, for expiry
}

type memPub struct {
	pub Publication
	at  int64 // when stored, Unix ns
}

type memKey struct {
	seq uint64
	msg any
}

type keyAt struct {
	key string
	at  int64
}

func newMemStore() *memStore {
	return &memStore{wake: make(chan struct{}, 1)}
}

func (m *memStore) Start(sink GroupSink) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		return ErrStarted
	}
	m.sink = sink
	m.epoch = uint64(time.Now().UnixNano())
	m.groups = make(map[string]*memGroup)
	m.presence = make(map[string]map[ID]string)
	m.watched = make(map[string]bool)
	m.names = make(map[string]ID)
	m.running = true
	m.done, m.ended = make(chan struct{}), make(chan struct{})
	go m.run()
	return nil
}

func (m *memStore) Stop(ctx context.Context) error {
	m.mu.Lock()
	if !m.running {
		m.mu.Unlock()
		return nil
	}
	m.running = false
	close(m.done)
	m.mu.Unlock()
	<-m.ended // the goroutine answers what is left with ErrNoStore
	return nil
}

// add queues op for the goroutine, or answers it with ErrNoStore when the
// store is not running. It reports false for a publication that found the
// queue full.
func (m *memStore) add(op memOp) bool {
	m.mu.Lock()
	if !m.running {
		m.mu.Unlock()
		m.fail(&op, ErrNoStore)
		return true
	}
	if op.kind == memPublish {
		if m.pubs >= memQueue {
			m.mu.Unlock()
			return false
		}
		m.pubs++
	}
	m.q = append(m.q, op)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return true
}

// fail answers op's callback with err.
func (m *memStore) fail(op *memOp, err error) {
	switch {
	case op.ack != nil:
		op.ack(Published{}, err)
	case op.read != nil:
		op.read(History{}, err)
	case op.members != nil:
		op.members(nil, err)
	case op.reg != nil:
		op.reg(err)
	case op.lookup != nil:
		op.lookup(0, err)
	}
}

func (m *memStore) run() {
	defer close(m.ended)
	var batch []memOp
	for {
		select {
		case <-m.wake:
		case <-m.done:
			m.mu.Lock()
			batch, m.q = m.q, nil
			m.mu.Unlock()
			for i := range batch {
				m.fail(&batch[i], ErrNoStore)
			}
			return
		}
		m.mu.Lock()
		batch, m.q = m.q, batch[:0]
		m.pubs = 0
		m.mu.Unlock()
		for i := range batch {
			m.apply(&batch[i])
			batch[i] = memOp{} // keep nothing alive
		}
	}
}

func (m *memStore) apply(op *memOp) {
	switch op.kind {
	case memPublish:
		m.publish(op)
	case memRead:
		op.read(m.readHistory(op))
	case memPresent:
		m.present(op.group, op.member, op.on)
	case memMembers:
		ms := make([]Member, 0, len(m.presence[op.group]))
		for id, info := range m.presence[op.group] {
			ms = append(ms, Member{ID: id, Info: info})
		}
		slices.SortFunc(ms, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
		op.members(ms, nil)
	case memWatch:
		if op.on {
			m.watched[op.group] = true
		} else {
			delete(m.watched, op.group)
		}
	case memRegister:
		if who, ok := m.names[op.name]; ok && who != op.id {
			op.reg(fmt.Errorf("%w: %q is held by %v", ErrNameTaken, op.name, who))
			return
		}
		m.names[op.name] = op.id
		op.reg(nil)
	case memUnregister:
		if m.names[op.name] == op.id {
			delete(m.names, op.name)
		}
	case memLookup:
		if who, ok := m.names[op.name]; ok {
			op.lookup(who, nil)
		} else {
			op.lookup(0, fmt.Errorf("%w: %q", ErrNoName, op.name))
		}
	}
}

// group returns the history of a group, made on first use.
func (m *memStore) group(name string) *memGroup {
	g := m.groups[name]
	if g == nil {
		g = &memGroup{}
		m.groups[name] = g
	}
	return g
}

func (m *memStore) publish(op *memOp) {
	set, _ := m.sink.Match(op.pub.Group)
	g := m.group(op.pub.Group)
	now := time.Now().UnixNano()
	if op.key != "" {
		g.expireKeys(now - int64(set.DedupWindow))
		if k, ok := g.keys[op.key]; ok {
			if !reflect.DeepEqual(k.msg, op.pub.Msg) {
				op.ack(Published{}, fmt.Errorf("%w: key %q in %q", ErrKeyReused, op.key, op.pub.Group))
				return
			}
			op.ack(Published{Group: op.pub.Group, Position: Position{Epoch: m.epoch, Seq: k.seq}, Duplicate: true}, nil)
			return
		}
	}
	g.seq++
	p := *op.pub
	p.Position = Position{Epoch: m.epoch, Seq: g.seq}
	g.held = append(g.held, memPub{pub: p, at: now})
	g.trim(set, now)
	if op.key != "" {
		if g.keys == nil {
			g.keys = make(map[string]memKey)
		}
		g.keys[op.key] = memKey{seq: g.seq, msg: p.Msg}
		g.fifo = append(g.fifo, keyAt{op.key, now})
	}
	if op.ack != nil {
		op.ack(Published{Group: p.Group, Position: p.Position}, nil)
	}
	m.sink.Deliver(&p) // a shard that stays full loses it, as any publication (ErrInboxFull)
}

// trim drops what the group's limits no longer keep, oldest first.
func (g *memGroup) trim(set GroupSettings, now int64) {
	drop := 0
	if set.History > 0 && len(g.held) > set.History {
		drop = len(g.held) - set.History
	}
	if set.HistoryAge > 0 {
		old := now - int64(set.HistoryAge)
		for drop < len(g.held) && g.held[drop].at < old {
			drop++
		}
	}
	if drop == 0 {
		return
	}
	clear(g.held[:drop])
	g.held = g.held[drop:]
	if cap(g.held) > 2*len(g.held)+16 { // give the dropped room back now and then
		g.held = append([]memPub(nil), g.held...)
	}
}

// expireKeys forgets the idempotency keys used before old.
func (g *memGroup) expireKeys(old int64) {
	n := 0
	for n < len(g.fifo) && g.fifo[n].at < old {
		delete(g.keys, g.fifo[n].key)
		n++
	}
	if n > 0 {
		g.fifo = append(g.fifo[:0], g.fifo[n:]...)
	}
}

func (m *memStore) readHistory(op *memOp) (History, error) {
	set, _ := m.sink.Match(op.group)
	g := m.group(op.group)
	g.trim(set, time.Now().UnixNano())
	h := History{Group: op.group, Latest: Position{Epoch: m.epoch}}
	if len(g.held) > 0 {
		h.Oldest = g.held[0].pub.Position
		h.Latest = g.held[len(g.held)-1].pub.Position
	}
	from := 0 // index in held of the first to return
	switch since := op.since; {
	case !op.recover || since.IsZero():
		n := op.n
		if n <= 0 || n > op.max {
			n = op.max
		}
		from = max(0, len(g.held)-n)
	case since.Epoch != m.epoch:
		return h, fmt.Errorf("%w: %v, the history of %q is of epoch %d", ErrOtherEpoch, since, op.group, m.epoch)
	case since.Seq > g.seq:
		return h, fmt.Errorf("%w: %v, %q is at %d", ErrFuturePosition, since, op.group, g.seq)
	default:
		oldest := g.seq + 1 // positions are consecutive here: what is held starts at oldest
		if len(g.held) > 0 {
			oldest = g.held[0].pub.Position.Seq
		}
		if since.Seq+1 < oldest {
			return h, fmt.Errorf("%w: %v, the history of %q starts at %d", ErrHistoryLost, since, op.group, oldest)
		}
		if behind := g.seq - since.Seq; behind > uint64(op.max) {
			return h, fmt.Errorf("%w: %d publications after %v, at most %d", ErrTooFarBehind, behind, since, op.max)
		}
		from = len(g.held) - int(g.seq-since.Seq)
	}
	h.Publications = make([]Publication, len(g.held)-from)
	for i := range h.Publications {
		h.Publications[i] = g.held[from+i].pub
	}
	return h, nil
}

func (m *memStore) present(group string, mem Member, on bool) {
	ms := m.presence[group]
	if on {
		if ms == nil {
			ms = make(map[ID]string)
			m.presence[group] = ms
		}
		if _, ok := ms[mem.ID]; ok {
			return
		}
		ms[mem.ID] = mem.Info
	} else {
		info, ok := ms[mem.ID]
		if !ok {
			return
		}
		mem.Info = info
		delete(ms, mem.ID)
		if len(ms) == 0 {
			delete(m.presence, group)
		}
	}
	if m.watched[group] {
		m.sink.Presence(Presence{Group: group, Member: mem, Joined: on})
	}
}

func (m *memStore) Publish(p *Publication, key string, ack func(Published, error)) error {
	if !m.add(memOp{kind: memPublish, pub: p, key: key, ack: ack}) {
		return fmt.Errorf("%w: %d publications wait to be stored", ErrStoreBusy, memQueue)
	}
	return nil
}

func (m *memStore) Read(group string, recover bool, since Position, n, max int, reply func(History, error)) {
	m.add(memOp{kind: memRead, group: group, recover: recover, since: since, n: n, max: max, read: reply})
}

func (m *memStore) Present(group string, mem Member, on bool) {
	m.add(memOp{kind: memPresent, group: group, member: mem, on: on})
}

func (m *memStore) Members(group string, reply func([]Member, error)) {
	m.add(memOp{kind: memMembers, group: group, members: reply})
}

func (m *memStore) Watch(group string, on bool) {
	m.add(memOp{kind: memWatch, group: group, on: on})
}

func (m *memStore) Register(name string, id ID, reply func(error)) {
	m.add(memOp{kind: memRegister, name: name, id: id, reg: reply})
}

func (m *memStore) Unregister(name string, id ID) {
	m.add(memOp{kind: memUnregister, name: name, id: id})
}

func (m *memStore) Lookup(name string, reply func(ID, error)) {
	m.add(memOp{kind: memLookup, name: name, lookup: reply})
}
