package cluster

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/shoalrt/shoal/actor"
)

// Presence and names live in two key-value buckets, SHOAL_<cluster>_presence
// and SHOAL_<cluster>_names. A member of a group with presence is the key
// <node>.<group token>.<member ID in decimal>, its value the node's
// incarnation and the member's info; a name is the key <name in base64url>,
// its value the holder's ID, node and incarnation. The incarnation tells a
// dead node's entries from its successor's: when a node goes down, the
// lowest-numbered live node deletes the entries of that incarnation, and a
// node starting deletes its number's entries of any earlier one.

// presenceKey is member id's key in group on node.
func presenceKey(node int, group string, id actor.ID) string {
	return strconv.Itoa(node) + "." + base64.RawURLEncoding.EncodeToString([]byte(group)) + "." + strconv.FormatUint(uint64(id), 10)
}

// presenceFilter matches the keys of group's members on every node.
func presenceFilter(group string) string {
	return "*." + base64.RawURLEncoding.EncodeToString([]byte(group)) + ".*"
}

// presenceValue is a member's value: uvarint length, the node's
// incarnation, the member's info.
func presenceValue(inc, info string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(inc)))
	b = append(b, inc...)
	return append(b, info...)
}

// parsePresence reads a presence entry.
func parsePresence(key string, v []byte) (m actor.Member, inc string, ok bool) {
	i := strings.LastIndexByte(key, '.')
	id, err := strconv.ParseUint(key[i+1:], 10, 64)
	if i < 0 || err != nil {
		return m, "", false
	}
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)-k) {
		return m, "", false
	}
	return actor.Member{ID: actor.ID(id), Info: string(v[k+int(n):])}, string(v[k : k+int(n)]), true
}

// nameValue is a name's value: 8 bytes ID (little endian), uvarint node,
// the node's incarnation.
func nameValue(id actor.ID, node int, inc string) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(id))
	b = binary.AppendUvarint(b, uint64(node))
	return append(b, inc...)
}

// parseName reads a name's value.
func parseName(v []byte) (id actor.ID, node int, inc string, ok bool) {
	if len(v) < 9 {
		return 0, 0, "", false
	}
	n, k := binary.Uvarint(v[8:])
	if k <= 0 || n > actor.MaxNode {
		return 0, 0, "", false
	}
	return actor.ID(binary.LittleEndian.Uint64(v)), int(n), string(v[8+k:]), true
}

// withPresence returns the running store's presence bucket if group has
// presence.
func (s *groupStore) withPresence(group string) (*storeOn, error) {
	on := s.on.Load()
	if on == nil {
		return nil, errStopped
	}
	if e := checkText(group, actor.MaxGroupName); e != "" {
		return nil, fmt.Errorf("%w: %s", actor.ErrBadGroup, e)
	}
	if g, ok := on.sink.Match(group); !ok || !g.Presence || on.presence == nil {
		return nil, fmt.Errorf("%w: %q", actor.ErrNoPresence, group)
	}
	return on, nil
}

// Present records m in group's presence bucket (on) or removes it, in the
// order of the calls (the serial worker). Any goroutine.
func (s *groupStore) Present(group string, m actor.Member, on bool) {
	st, err := s.withPresence(group)
	if err != nil {
		return
	}
	key := presenceKey(s.n.node, group, m.ID)
	var value []byte
	if on {
		value = presenceValue(s.n.id, m.Info)
	}
	s.enqueue(&s.serial, job{
		run: func(context.Context) {
			s.own(&s.mine.presence, key, value, on)
			err := s.persist(func(ctx context.Context) (err error) {
				if on {
					_, err = st.presence.Put(ctx, key, value)
				} else {
					err = st.presence.Delete(ctx, key)
				}
				return err
			})
			if err != nil {
				s.report(fmt.Errorf("cluster: node %d: presence of %v in %q: %w", s.n.node, m.ID, group, err))
			}
		},
		fail: func(error) {}, // stopping: the others clean up after this node
	})
}

// persist runs op, a write nobody waits for (a presence entry, a name's
// release), until it succeeds, fails for good, or Config.JetStreamWait
// has passed, each try within actor.StoreTimeout: a failure that may pass
// (JetStream electing a new leader after a server's death, a reconnect) is
// no reason to leave a member out of its group's list, or a name held by
// no one, forever. The serial worker: later writes wait behind it, so
// they keep their order.
func (s *groupStore) persist(op func(ctx context.Context) error) error {
	deadline := time.Now().Add(s.n.cfg.JetStreamWait)
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		ctx, cancel := context.WithTimeout(s.ctx, actor.StoreTimeout)
		err := op(ctx)
		cancel()
		if err == nil || s.ctx.Err() != nil || !transient(err, s.n.live.Load()) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-s.ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// Members answers with group's members on every node, ordered by ID, on a
// worker. Any goroutine.
func (s *groupStore) Members(group string, reply func([]actor.Member, error)) {
	st, err := s.withPresence(group)
	if err != nil {
		go reply(nil, err)
		return
	}
	s.submit(&s.work, job{
		run: func(ctx context.Context) {
			entries, err := snapshot(ctx, st.presence, presenceFilter(group))
			if err != nil {
				reply(nil, storeErr("listing members", err))
				return
			}
			members := make([]actor.Member, 0, len(entries))
			for _, e := range entries {
				if m, _, ok := parsePresence(e.Key(), e.Value()); ok {
					members = append(members, m)
				}
			}
			slices.SortFunc(members, func(a, b actor.Member) int { return cmpID(a.ID, b.ID) })
			reply(members, nil)
		},
		fail: func(err error) { reply(nil, err) },
	})
}

func cmpID(a, b actor.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// snapshot returns the entries of kv whose keys match filter, deleted ones
// left out: a watcher's initial values.
func snapshot(ctx context.Context, kv jetstream.KeyValue, filter string) ([]jetstream.KeyValueEntry, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := kv.WatchFiltered(wctx, []string{filter}, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer func() {
		w.Stop()
		for range w.Updates() { // until closed: the subscription's callback never waits on it
		}
	}()
	var out []jetstream.KeyValueEntry
	for {
		select {
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				return nil, errors.New("watcher closed")
			case e == nil:
				return out, nil
			}
			out = append(out, e)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// watcher is this node's watch of one group's presence.
type watcher struct {
	kw     jetstream.KeyWatcher
	cancel context.CancelFunc
}

func (w *watcher) stop() {
	w.kw.Stop()
	w.cancel()
}

// Watch starts (on) or stops handing group's joins and leaves to
// sink.Presence, in the order of the calls (the serial worker). Joins and
// leaves are those after the watch began (the members already present are
// what Members answers); a leave comes only for a member that was present.
// Any goroutine.
func (s *groupStore) Watch(group string, on bool) {
	st, err := s.withPresence(group)
	if err != nil {
		return
	}
	s.enqueue(&s.serial, job{
		run: func(ctx context.Context) {
			if !on {
				s.mu.Lock()
				w := s.watchers[group]
				delete(s.watchers, group)
				s.mu.Unlock()
				if w != nil {
					w.stop()
				}
				return
			}
			s.mu.Lock()
			_, have := s.watchers[group]
			s.mu.Unlock()
			if have {
				return
			}
			wctx, cancel := context.WithCancel(s.ctx)
			kw, err := st.presence.WatchFiltered(wctx, []string{presenceFilter(group)})
			if err != nil {
				cancel()
				s.report(fmt.Errorf("cluster: node %d: watching the presence of %q: %w", s.n.node, group, err))
				return
			}
			w := &watcher{kw: kw, cancel: cancel}
			s.mu.Lock()
			if s.state != storeRunning {
				s.mu.Unlock()
				w.stop()
				for range kw.Updates() {
				}
				return
			}
			s.watchers[group] = w
			s.wg.Add(1)
			s.mu.Unlock()
			go s.watch(st.sink, group, kw)
		},
		fail: func(error) {},
	})
}

// watch hands the changes kw sees to sink.Presence until kw's channel
// closes (its Stop).
func (s *groupStore) watch(sink actor.GroupSink, group string, kw jetstream.KeyWatcher) {
	defer s.wg.Done()
	present := make(map[string]actor.Member)
	initial := true
	for e := range kw.Updates() { // to the end: the subscription's callback never waits on it
		if e == nil {
			initial = false
			continue
		}
		var ev actor.Presence
		switch e.Operation() {
		case jetstream.KeyValuePut:
			m, _, ok := parsePresence(e.Key(), e.Value())
			if old, was := present[e.Key()]; !ok || was && old == m {
				continue
			}
			present[e.Key()] = m
			ev = actor.Presence{Group: group, Member: m, Joined: true}
		default: // deleted or purged
			m, was := present[e.Key()]
			if !was {
				continue
			}
			delete(present, e.Key())
			ev = actor.Presence{Group: group, Member: m}
		}
		if initial || s.ctx.Err() != nil {
			continue
		}
		if err := sink.Presence(ev); err != nil {
			s.n.dropped.Add(1)
			s.n.report(logDeliver, fmt.Errorf("cluster: node %d: presence of %q: %w", s.n.node, group, err))
		}
	}
}

// namesBucket returns the names bucket, opened on first use by a node
// without settings.
func (s *groupStore) namesBucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	kv := s.names
	s.mu.Unlock()
	if kv != nil {
		return kv, nil
	}
	nc := s.n.live.Load()
	if nc == nil {
		return nil, errStopped
	}
	js, err := s.jetStream(nc)
	if err != nil {
		return nil, err
	}
	if kv, err = s.bucket(ctx, js, "names"); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, fmt.Errorf("%w: %w: the name registry is kept in JetStream (%v)", actor.ErrNoStore, ErrNoJetStream, err)
		}
		return nil, fmt.Errorf("%w: %w", actor.ErrNoStore, err)
	}
	s.mu.Lock()
	s.names = kv
	s.mu.Unlock()
	return kv, nil
}

// nameKey is name's key.
func nameKey(name string) string { return base64.RawURLEncoding.EncodeToString([]byte(name)) }

func checkName(name string) error {
	if e := checkText(name, actor.MaxName); e != "" {
		return fmt.Errorf("%w: %s", actor.ErrBadName, e)
	}
	return nil
}

// Register claims name for id across the cluster (a key-value Create), on
// the serial worker; a name id holds already is nil. Any goroutine.
func (s *groupStore) Register(name string, id actor.ID, reply func(error)) {
	if err := checkName(name); err != nil {
		go reply(err)
		return
	}
	s.submit(&s.serial, job{
		run: func(ctx context.Context) {
			kv, err := s.namesBucket(ctx)
			if err != nil {
				reply(err)
				return
			}
			key, value := nameKey(name), nameValue(id, s.n.node, s.n.id)
			for range 3 { // a holder may let go between Create and Get
				_, err := kv.Create(ctx, key, value)
				if !errors.Is(err, jetstream.ErrKeyExists) {
					if err != nil {
						err = storeErr("registering a name", err)
					} else {
						s.own(&s.mine.names, key, value, true)
					}
					reply(err)
					return
				}
				e, err := kv.Get(ctx, key)
				if errors.Is(err, jetstream.ErrKeyNotFound) {
					continue
				}
				if err != nil {
					reply(storeErr("registering a name", err))
					return
				}
				if holder, _, _, ok := parseName(e.Value()); ok && holder == id {
					s.own(&s.mine.names, key, e.Value(), true)
					reply(nil)
				} else {
					reply(fmt.Errorf("%w: %q", actor.ErrNameTaken, name))
				}
				return
			}
			reply(fmt.Errorf("%w: %q (it changed hands while registering)", actor.ErrNameTaken, name))
		},
		fail: reply,
	})
}

// Unregister releases name if id holds it, on the serial worker. Any
// goroutine.
func (s *groupStore) Unregister(name string, id actor.ID) {
	if checkName(name) != nil {
		return
	}
	s.enqueue(&s.serial, job{
		run: func(context.Context) {
			if v, ok := s.mine.names[nameKey(name)]; ok {
				if holder, _, _, _ := parseName(v); holder == id {
					s.own(&s.mine.names, nameKey(name), nil, false)
				}
			}
			err := s.persist(func(ctx context.Context) error {
				kv, err := s.namesBucket(ctx)
				if err != nil {
					return err
				}
				key := nameKey(name)
				e, err := kv.Get(ctx, key)
				if errors.Is(err, jetstream.ErrKeyNotFound) {
					return nil
				} else if err != nil {
					return err
				}
				if holder, _, _, ok := parseName(e.Value()); !ok || holder != id {
					return nil
				}
				// (A revision changed meanwhile: taken again, by another.)
				if err := kv.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil && !wrongRevision(err) {
					return err
				}
				return nil
			})
			if err != nil {
				s.report(fmt.Errorf("cluster: node %d: releasing name %q: %w", s.n.node, name, err))
			}
		},
		fail: func(error) {},
	})
}

// Lookup answers with name's holder, or ErrNoName, on a worker. Any
// goroutine.
func (s *groupStore) Lookup(name string, reply func(actor.ID, error)) {
	if err := checkName(name); err != nil {
		go reply(0, err)
		return
	}
	s.submit(&s.work, job{
		run: func(ctx context.Context) {
			kv, err := s.namesBucket(ctx)
			if err != nil {
				reply(0, err)
				return
			}
			e, err := kv.Get(ctx, nameKey(name))
			switch {
			case errors.Is(err, jetstream.ErrKeyNotFound):
				reply(0, fmt.Errorf("%w: %q", actor.ErrNoName, name))
				return
			case err != nil:
				reply(0, storeErr("looking a name up", err))
				return
			}
			id, _, _, ok := parseName(e.Value())
			if !ok {
				reply(0, fmt.Errorf("%w: name %q has a malformed entry", actor.ErrNoName, name))
				return
			}
			reply(id, nil)
		},
		fail: func(err error) { reply(0, err) },
	})
}

// nodeDown removes, if this node is the lowest-numbered live one, the
// presence and names of node v's incarnation inc (its watchers see the
// leaves), and those of every other incarnation of any node that is not
// alive (a cleaner that died before it cleaned leaves nothing behind for
// the next), once now and once more a grace period later. Called by
// membership under n.mmu: it only queues the work.
func (s *groupStore) nodeDown(v int, inc string) {
	on := s.running()
	if on == nil {
		return
	}
	if !s.lowest() {
		return
	}
	sweep := job{
		run: func(ctx context.Context) {
			if !s.sweep(ctx, on, v, inc) {
				s.armPatrol(sweepRetry) // (JetStream electing a leader, most likely)
			}
		},
		fail: func(error) {},
	}
	s.enqueue(&s.serial, sweep)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == storeRunning {
		// Entries younger than the grace period are spared (their node may be
		// alive and not yet heard of): look again once they are older.
		if s.resweep != nil {
			s.resweep.Stop()
		}
		s.resweep = time.AfterFunc(s.grace(), func() { s.enqueue(&s.serial, sweep) })
	}
}

// grace is how long a presence or name entry of a node not known to be
// alive is spared by a sweep: a live node is heard within a heartbeat, and
// one that died is reported down within HeartbeatMisses+1 of them.
func (s *groupStore) grace() time.Duration {
	return time.Duration(s.n.cfg.HeartbeatMisses+1)*s.n.cfg.Heartbeat + time.Second
}

// How often the cleaner sweeps without a NodeDown, and how soon it tries
// again after a sweep failed. A NodeDown is not enough: the cleaner may
// fail to reach JetStream then (the dead node's server led its buckets,
// and a new leader is being elected), and a node that died while the whole
// cluster was down is never reported down by anyone (the others never saw
// it up). A sweep lists every key of the two buckets, so it is not
// frequent.
const (
	sweepEvery = time.Minute
	sweepRetry = 2 * time.Second
)

// testSweepEvery, if set, replaces sweepEvery (export_test.go).
var testSweepEvery atomic.Int64

// sweepInterval is sweepEvery, or what a test set.
func sweepInterval() time.Duration {
	if d := testSweepEvery.Load(); d > 0 {
		return time.Duration(d)
	}
	return sweepEvery
}

// armPatrol schedules the periodic sweep after d, in place of the one
// scheduled, while the store runs (the arms come one after another: from
// Start, and from each sweep's end).
func (s *groupStore) armPatrol(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != storeRunning {
		return
	}
	if s.patrol != nil {
		s.patrol.Stop()
	}
	s.patrol = time.AfterFunc(d, s.patrolNow)
}

// patrolNow is the periodic sweep: the lowest-numbered live node removes
// the entries of every incarnation not alive (see sweep), then arms the
// next (sooner if it failed).
func (s *groupStore) patrolNow() {
	on := s.running()
	if on == nil {
		return
	}
	lowest := s.lowest()
	// Two jobs, each within its own StoreTimeout: the node's own entries,
	// then (the cleaner) everybody's leftovers.
	var failed atomic.Bool
	s.enqueue(&s.serial, job{
		run: func(ctx context.Context) {
			if !s.reassert(ctx, on) {
				failed.Store(true)
			}
		},
		fail: func(error) {},
	})
	s.enqueue(&s.serial, job{
		run: func(ctx context.Context) {
			next := sweepInterval()
			if failed.Load() || (lowest && !s.sweep(ctx, on, 0, "")) {
				next = min(next, sweepRetry)
			}
			s.armPatrol(next)
		},
		fail: func(error) {},
	})
}

// own records (on) or forgets an entry of this node's in m. The serial
// worker.
func (s *groupStore) own(m *map[string][]byte, key string, value []byte, on bool) {
	if !on {
		delete(*m, key)
		return
	}
	if *m == nil {
		*m = make(map[string][]byte)
	}
	(*m)[key] = value
}

// reassert writes again this node's presence entries and names that are no
// longer in their buckets although nothing here removed them: another node
// took this one for dead (it was silent for longer than HeartbeatMisses
// heartbeats: paused, overloaded, cut off from NATS) and swept them. A name
// someone else registered meanwhile is lost to its holder here, and
// reported. It reports whether it could look. Every node, at each patrol;
// the serial worker, so no write of its own races it.
func (s *groupStore) reassert(ctx context.Context, on *storeOn) bool {
	ok := true
	var presence, names int
	if on.presence != nil && len(s.mine.presence) > 0 {
		entries, err := snapshot(ctx, on.presence, strconv.Itoa(s.n.node)+".>")
		if err != nil {
			ok = false
		} else {
			held := make(map[string]bool, len(entries))
			for _, e := range entries {
				held[e.Key()] = string(e.Value()) == string(s.mine.presence[e.Key()])
			}
			for key, value := range s.mine.presence {
				if held[key] {
					continue
				}
				if _, err := on.presence.Put(ctx, key, value); err != nil {
					ok = false
					continue
				}
				presence++
			}
		}
	}
	s.mu.Lock()
	kv := s.names
	s.mu.Unlock()
	if kv != nil {
		lost := func(key string) {
			delete(s.mine.names, key)
			name, _ := base64.RawURLEncoding.DecodeString(key)
			s.report(fmt.Errorf("cluster: node %d: name %q was released while this node was taken for dead, and taken by another", s.n.node, name))
		}
		var held map[string][]byte // every name's value, in one pass (as cleanNames reads them)
		if len(s.mine.names) > 0 {
			entries, err := snapshot(ctx, kv, ">")
			if err != nil {
				return false
			}
			held = make(map[string][]byte, len(entries))
			for _, e := range entries {
				held[e.Key()] = e.Value()
			}
		}
		for key, value := range s.mine.names {
			switch v, found := held[key]; {
			case found && string(v) == string(value): // still ours
				continue
			case found:
				lost(key)
				continue
			}
			switch _, err := kv.Create(ctx, key, value); {
			case err == nil:
				names++
			case errors.Is(err, jetstream.ErrKeyExists):
				lost(key)
			default:
				ok = false
			}
		}
	}
	if presence+names > 0 {
		s.reasserted.Add(int64(presence + names))
		s.n.log.LogAttrs(context.Background(), slog.LevelWarn, "group store: wrote again what another node removed, having taken this node for dead",
			slog.Int("presence", presence), slog.Int("names", names))
	}
	return ok
}

// lowest reports whether this node is the lowest-numbered live one: the
// cleaner.
func (s *groupStore) lowest() bool {
	lowest := true
	s.n.peers.Range(func(k, _ any) bool {
		lowest = k.(int) > s.n.node
		return lowest
	})
	return lowest
}

// sweep removes the presence and names of node v's incarnation inc (none
// if v is 0), and of every incarnation not alive by this node's view whose
// entry is older than the grace period (if this node itself has run that
// long, so it knows the live ones), and reports whether it could. The
// serial worker.
func (s *groupStore) sweep(ctx context.Context, on *storeOn, v int, inc string) bool {
	grace := s.grace()
	known := time.Since(s.since) > grace
	dead := func(node int, i string, written time.Time) bool {
		switch {
		case node == v && i == inc:
			// Unless it is heard again (it was only silent): its entries are
			// its own again, and it writes back what an earlier sweep took.
			p, ok := s.n.peers.Load(node)
			return !ok || p.(*peer).id != i
		case !known || time.Since(written) < grace:
			return false
		case node == s.n.node:
			return i != s.n.id
		}
		p, ok := s.n.peers.Load(node)
		return !ok || p.(*peer).id != i
	}
	ok := true
	if on.presence != nil {
		if err := s.cleanPresence(ctx, on.presence, ">", dead); err != nil {
			ok = false
			s.report(fmt.Errorf("cluster: node %d: removing the presence of dead nodes (%d): %w", s.n.node, v, err))
		}
	}
	s.mu.Lock()
	names := s.names
	s.mu.Unlock()
	if names != nil {
		if err := s.cleanNames(ctx, names, dead); err != nil {
			ok = false
			s.report(fmt.Errorf("cluster: node %d: releasing the names of dead nodes (%d): %w", s.n.node, v, err))
		}
	}
	return ok
}

// cleanPresence deletes the presence entries whose keys match filter and
// whose node and incarnation match.
func (s *groupStore) cleanPresence(ctx context.Context, kv jetstream.KeyValue, filter string, match func(node int, inc string, written time.Time) bool) error {
	entries, err := snapshot(ctx, kv, filter)
	if err != nil {
		return err
	}
	var first error
	for _, e := range entries {
		node, err := strconv.Atoi(e.Key()[:max(strings.IndexByte(e.Key(), '.'), 0)])
		if _, inc, ok := parsePresence(e.Key(), e.Value()); ok && err == nil && !match(node, inc, e.Created()) {
			continue
		}
		// Only that revision: an entry written again since (a new
		// incarnation's) stays.
		if err := kv.Delete(ctx, e.Key(), jetstream.LastRevision(e.Revision())); err != nil && first == nil && ctx.Err() == nil && !wrongRevision(err) {
			first = err
		}
	}
	return first
}

// cleanNames deletes the names held by a node and incarnation that match.
func (s *groupStore) cleanNames(ctx context.Context, kv jetstream.KeyValue, match func(node int, inc string, written time.Time) bool) error {
	entries, err := snapshot(ctx, kv, ">")
	if err != nil {
		return err
	}
	var first error
	for _, e := range entries {
		if _, n, inc, ok := parseName(e.Value()); !ok || !match(n, inc, e.Created()) {
			continue
		}
		// Only that revision: an entry written again since (a new
		// incarnation's) stays.
		if err := kv.Delete(ctx, e.Key(), jetstream.LastRevision(e.Revision())); err != nil && first == nil && ctx.Err() == nil && !wrongRevision(err) {
			first = err
		}
	}
	return first
}

// wrongRevision reports whether err is JetStream's refusal of a write whose
// expected last revision is not the key's.
func wrongRevision(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) || errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
