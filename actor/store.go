package actor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// GroupSettings configure the groups whose names match Pattern: their
// history, their presence, and how long idempotency keys are remembered.
// Give them to the system with the Groups option. Groups that match no
// settings are plain groups: fire-and-forget, kept nowhere, as fast as ever.
//
// Where the groups are kept is the system's GroupStore: in memory when the
// system has no cluster (lost when it stops), in JetStream when it has one
// (package cluster), replicated as the NATS servers are configured.
type GroupSettings struct {
	// Pattern is a group name, or a prefix followed by '*' ("room:*"
	// matches every group whose name starts with "room:"). When several
	// patterns match, an exact name wins, then the longest prefix.
	Pattern string
	// History keeps the last History publications of each matching group
	// (0: no limit by count). HistoryAge keeps them for that long (0: no
	// limit by age; else at least a second). A group has history when
	// either is set; without history a group can still have presence.
	History    int
	HistoryAge time.Duration
	// Presence makes the system keep who the members of each matching group
	// are, with the info each gave when it joined (see JoinOptions.Info):
	// Context.Members lists them across every node, WatchPresence reports
	// joins and leaves.
	Presence bool
	// DedupWindow is how long an idempotency key given to PublishAck is
	// remembered (default DefaultDedupWindow): publishing again with it
	// within the window stores nothing new and answers with the first
	// publication's position.
	DedupWindow time.Duration
	// MaxReplay bounds how many publications one recovery (JoinSince) or
	// one History request delivers (default DefaultMaxReplay, at most
	// MaxMaxReplay): a member further behind gets ErrTooFarBehind, and a
	// larger History request ErrHistoryTooLarge.
	MaxReplay int
}

// Defaults and bounds of GroupSettings.
const (
	DefaultDedupWindow = 2 * time.Minute
	DefaultMaxReplay   = 1000
	MaxMaxReplay       = 100_000
	// MaxGroupName is the longest group name (bytes) a group with settings
	// may have, and MaxIdempotencyKey the longest idempotency key.
	MaxGroupName      = 512
	MaxIdempotencyKey = 128
	// MaxName is the longest name the name registry takes (bytes).
	MaxName = 256
	// StoreTimeout bounds how long an actor waits for the answer of a
	// request to the group store (PublishAck, History, Members,
	// RegisterName, LookupName): past it the Response carries ErrTimeout.
	StoreTimeout = 10 * time.Second
)

// Groups configures groups by name or prefix (see GroupSettings). Settings
// with a bad pattern, negative limits, a HistoryAge under a second or a
// MaxReplay over MaxMaxReplay fail NewSystem with ErrBadOption.
// A system with a cluster keeps them only if its Remote implements
// GroupStorer (package cluster does).
func Groups(settings ...GroupSettings) Option {
	return func(c *config) { c.groups = append(c.groups, settings...) }
}

// Position is where a publication stands in its group's history: Seq grows
// with every publication of the group, across the whole cluster (not
// necessarily by one), and Epoch names the history it belongs to: it changes
// when the group's history is lost or reset (an in-memory store restarted,
// a JetStream stream deleted), and then no earlier position means anything.
// The zero Position is "before anything".
type Position struct {
	Epoch uint64
	Seq   uint64
}

// IsZero reports whether p is the zero Position.
func (p Position) IsZero() bool { return p == Position{} }

// String returns p as "epoch:seq" in decimal, the form ParsePosition reads.
func (p Position) String() string {
	return strconv.FormatUint(p.Epoch, 10) + ":" + strconv.FormatUint(p.Seq, 10)
}

// MarshalText is String, so a Position is a JSON string.
func (p Position) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText is ParsePosition.
func (p *Position) UnmarshalText(b []byte) error {
	q, err := ParsePosition(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// ParsePosition reads a Position written by String. Its error wraps
// ErrBadPosition.
func ParsePosition(s string) (Position, error) {
	e, q, ok := strings.Cut(s, ":")
	if ok {
		epoch, err1 := strconv.ParseUint(e, 10, 64)
		seq, err2 := strconv.ParseUint(q, 10, 64)
		if err1 == nil && err2 == nil {
			return Position{Epoch: epoch, Seq: seq}, nil
		}
	}
	return Position{}, fmt.Errorf("%w: %q: want epoch:seq", ErrBadPosition, s)
}

// Publication is a publication kept in a group's history: what a recovery
// replays, what History returns, and what Context.Publication describes
// while a member handles it.
type Publication struct {
	Group    string
	Position Position
	From     ID  // the publisher (zero from outside any actor)
	Msg      any // as the codecs of the store decoded it (see cluster.Config.Messages)
}

// Published answers a PublishAck: the publication's position once it is
// stored. Duplicate is true when the idempotency key had been used within
// the dedup window: nothing new was stored, and Position is the first
// publication's.
type Published struct {
	Group     string
	Position  Position
	Duplicate bool
}

// History answers Context.History and ends a recovery's replay in
// Recovered: the publications asked for, in order, and what the group's
// history holds now: Oldest is the oldest publication held (zero when it
// holds none), Latest the latest held, or {Epoch, 0} when it holds none
// (the epoch is always there).
type History struct {
	Group        string
	Publications []Publication
	Oldest       Position
	Latest       Position
}

// JoinOptions are the options of Context.JoinWith.
type JoinOptions struct {
	// Recover asks for every publication after Since still in history to
	// be delivered, in order, before the live ones, with no gap and no
	// duplicate between the two; a Recovered message marks the seam. The
	// zero Since recovers everything history holds. The group must have
	// history.
	Recover bool
	Since   Position
	// Last, with Recover and a zero Since, replays only the last Last
	// publications (0: all, up to MaxReplay).
	Last int
	// Info is what Members and presence events show of this member (a
	// display name, say), for a group with presence; at most 4 KiB.
	Info string
}

// MaxInfo is the longest JoinOptions.Info.
const MaxInfo = 4096

// Recovered tells a member that joined with JoinOptions.Recover where its
// recovery ended. With Err nil it is the seam: every publication after Since
// up to Last was delivered before it (Count of them), and every live one
// after Last follows it. With Err set (ErrHistoryLost: history no longer
// reaches back to Since; ErrOtherEpoch: Since belongs to a history that was
// lost; ErrFuturePosition: Since is past anything published;
// ErrTooFarBehind: more than MaxReplay publications to replay) nothing was
// delivered and the actor is not a member: History says what the group's
// history still holds, and the actor may join again from there (Since
// zero, or with Last).
type Recovered struct {
	Group string
	Since Position
	Last  Position
	Count int
	Err   error
	History
}

// Member is one member of a group with presence.
type Member struct {
	ID   ID
	Info string
}

// Members answers Context.Members: the members of a group with presence on
// every node.
type Members struct {
	Group   string
	Members []Member
}

// Presence is delivered to actors that watch a group's presence
// (WatchPresence): Member joined the group (Joined) or left it (a Leave, its
// actor's end, or its node's death).
type Presence struct {
	Group  string
	Member Member
	Joined bool
}

// Errors of groups with settings.
var (
	// ErrBadPosition is wrapped by ParsePosition's error.
	ErrBadPosition = errors.New("actor: bad position")
	// ErrNoHistory: a recovery, History request or PublishAck on a group
	// whose settings keep no history (or that has none).
	ErrNoHistory = errors.New("actor: the group keeps no history")
	// ErrNoPresence: Members or WatchPresence on a group without presence.
	ErrNoPresence = errors.New("actor: the group has no presence")
	// ErrHistoryLost: a recovery from a position the history no longer
	// covers: a publication after it was dropped by the group's limits. The
	// in-memory store knows that exactly (its positions are consecutive
	// within a group); on JetStream (package cluster), where a group's
	// positions are not consecutive, a position counts as covered while the
	// publication at it is still held (or the group's oldest held follows
	// it in the stream), so a recovery from a publication just dropped may
	// fail even if nothing after it was.
	ErrHistoryLost = errors.New("actor: history no longer reaches the position")
	// ErrOtherEpoch: a recovery from a position of a history that was lost
	// or reset.
	ErrOtherEpoch = errors.New("actor: position of another epoch")
	// ErrFuturePosition: a recovery from a position past the group's latest.
	ErrFuturePosition = errors.New("actor: position from the future")
	// ErrTooFarBehind: a recovery with more than MaxReplay publications to
	// deliver.
	ErrTooFarBehind = errors.New("actor: too far behind to recover")
	// ErrHistoryTooLarge: a History request for more than MaxReplay
	// publications, or fewer than one.
	ErrHistoryTooLarge = errors.New("actor: history request too large")
	// ErrKeyReused: PublishAck with an idempotency key already used within
	// the dedup window for a different message. Nothing was stored.
	ErrKeyReused = errors.New("actor: idempotency key reused for a different message")
	// ErrBadKey: an empty idempotency key, or one longer than
	// MaxIdempotencyKey or holding a control character.
	ErrBadKey = errors.New("actor: bad idempotency key")
	// ErrBadGroup: a group name a group with settings cannot have (empty,
	// longer than MaxGroupName, not valid UTF-8, or holding a control
	// character).
	ErrBadGroup = errors.New("actor: bad group name")
	// ErrJoined: JoinWith on a group the actor is a member of already.
	ErrJoined = errors.New("actor: already a member of the group")
	// ErrNameTaken: RegisterName of a name registered to another actor,
	// anywhere in the cluster.
	ErrNameTaken = errors.New("actor: name taken")
	// ErrNoName: LookupName of a name nobody holds.
	ErrNoName = errors.New("actor: no such name")
	// ErrBadName: an empty name, one longer than MaxName, not valid UTF-8,
	// or holding a control character.
	ErrBadName = errors.New("actor: bad name")
	// ErrNoStore: a store request on a system with a cluster whose Remote
	// keeps no groups (it does not implement GroupStorer), or a store that
	// is not running.
	ErrNoStore = errors.New("actor: no group store")
	// ErrStoreBusy: a publication to a group with history found too many
	// publications waiting to be stored; it was not published.
	ErrStoreBusy = errors.New("actor: group store busy")
	// ErrBroadcastHistory: Broadcast to a group with history (whose
	// publications are stored: use Publish).
	ErrBroadcastHistory = errors.New("actor: Broadcast to a group with history")
	// ErrRecoveryOverflow: more live publications arrived while a member
	// waited for its replay than MaxReplay: the recovery is given up (the
	// member may join again).
	ErrRecoveryOverflow = errors.New("actor: live publications overflowed a recovery")
)

// GroupStore keeps the history, presence and names of the groups with
// settings. The system makes an in-memory one when it has no cluster;
// package cluster's Node provides one on JetStream (see GroupStorer).
//
// Its methods are called from shard goroutines and from any goroutine, and
// must not block: the answer of each request comes through its callback,
// called exactly once, on a goroutine of the store's own (never a shard's),
// which may block briefly (the system hands the answer to a shard). A Msg
// the system passes in may alias a read buffer: encode or copy it before the
// method returns.
type GroupStore interface {
	// Start is called by System.Start, after the Remote's Start, with the
	// system's side: where stored publications and presence events go.
	Start(sink GroupSink) error
	// Stop is called by System.Stop before the shards stop: no call to
	// sink follows its return, and every callback still owed is called
	// (with an error) before it returns.
	Stop(ctx context.Context) error
	// Publish stores a publication (p.Position is zero) of a group with
	// history and hands it, with its position, to sink.Deliver, in the
	// order of positions, on every node with members. With a key, the
	// publication is idempotent within the group's DedupWindow, and ack
	// (nil without a key) gets its position, or the existing one with
	// Duplicate, or an error. An error returned means it was not taken
	// (a backlog, a message the store cannot encode) and ack is not called.
	Publish(p *Publication, key string, ack func(Published, error)) error
	// Read answers with publications of a group with history: after a
	// position (recover true: every publication after since, at most max,
	// failing with ErrHistoryLost, ErrOtherEpoch, ErrFuturePosition,
	// ErrTooFarBehind), or the last n (recover false; at most max).
	// History.Oldest and Latest are filled in either case, errors too.
	Read(group string, recover bool, since Position, n, max int, reply func(History, error))
	// Present records that member joined a group with presence on this
	// node (on) or left it; the store tells every watcher on every node.
	Present(group string, m Member, on bool)
	// Members answers with the members of a group with presence.
	Members(group string, reply func([]Member, error))
	// Watch says that this node has its first actor watching a group's
	// presence (on) or lost its last: the store then hands its joins and
	// leaves to sink.Presence, or stops.
	Watch(group string, on bool)
	// Register claims name for id, failing with ErrNameTaken if another
	// actor holds it; Unregister releases it if id holds it; Lookup answers
	// with the holder, or ErrNoName. A store releases the names of a node
	// that dies, and its presence, announcing the leaves.
	Register(name string, id ID, reply func(error))
	Unregister(name string, id ID)
	Lookup(name string, reply func(ID, error))
}

// GroupStorer is implemented by a Remote that keeps groups with settings
// for the whole cluster: the system takes its GroupStore instead of making
// an in-memory one.
type GroupStorer interface {
	GroupStore() GroupStore
}

// GroupSink is the system's side of its GroupStore: what Start hands the
// store. Its methods are safe from any goroutine but a shard's.
type GroupSink interface {
	// Settings returns the system's group settings (the Groups option, with
	// defaults filled in), in the order given. The store must not change
	// them.
	Settings() []GroupSettings
	// Match returns the settings of group, and whether it has any: an
	// exact pattern's, else the longest matching prefix's.
	Match(group string) (GroupSettings, bool)
	// Node returns this system's node number.
	Node() int
	// Deliver hands a stored publication to this node's members of its
	// group. The store calls it from one goroutine, in the order of
	// positions within each group. It waits like System.Publish while a
	// shard's inbox is full, then gives up on that shard with ErrInboxFull.
	Deliver(p *Publication) error
	// Presence hands a join or leave to this node's actors watching the
	// group.
	Presence(ev Presence) error
}

// sink is the system's GroupSink.
type sink struct {
	sys *System
}

func (k sink) Settings() []GroupSettings { return k.sys.cfg.groups }

func (k sink) Match(group string) (GroupSettings, bool) { return k.sys.cfg.groupSettings(group) }

func (k sink) Node() int { return k.sys.cfg.Node }

func (k sink) Deliver(p *Publication) error { return k.sys.deliverStored(p) }

func (k sink) Presence(ev Presence) error { return k.sys.deliverPresence(ev) }

// checkGroups validates the Groups settings, fills in their defaults and
// indexes their patterns. Part of config.check.
func (c *config) checkGroups() error {
	if len(c.groups) == 0 {
		return nil
	}
	c.groups = append([]GroupSettings(nil), c.groups...) // the caller's slice stays as given
	c.exact = make(map[string]int)
	seen := make(map[string]bool)
	for i := range c.groups {
		g := &c.groups[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: Groups: pattern %q: "+format, append([]any{ErrBadOption, g.Pattern}, args...)...)
		}
		name, prefix := strings.CutSuffix(g.Pattern, "*")
		switch {
		case g.Pattern == "" || g.Pattern == "*":
			return bad("want a name, or a prefix and '*'")
		case strings.Contains(name, "*"):
			return bad("'*' only at the end")
		case checkGroupName(name) != nil:
			return bad("%v", checkGroupName(name))
		case seen[g.Pattern]:
			return bad("given twice")
		case g.History < 0 || g.HistoryAge < 0 || g.DedupWindow < 0 || g.MaxReplay < 0:
			return bad("negative limit")
		case g.MaxReplay > MaxMaxReplay:
			return bad("MaxReplay %d: at most %d", g.MaxReplay, MaxMaxReplay)
		case g.HistoryAge > 0 && g.HistoryAge < time.Second:
			return bad("HistoryAge %v: at least a second", g.HistoryAge)
		}
		seen[g.Pattern] = true
		if g.DedupWindow == 0 {
			g.DedupWindow = DefaultDedupWindow
		}
		if g.MaxReplay == 0 {
			g.MaxReplay = DefaultMaxReplay
		}
		if prefix {
			c.prefixes = append(c.prefixes, i)
		} else {
			c.exact[name] = i
		}
	}
	slices.SortStableFunc(c.prefixes, func(a, b int) int { // longest first
		return len(c.groups[b].Pattern) - len(c.groups[a].Pattern)
	})
	return nil
}

// groupSettings returns the settings of group: an exact pattern's, else the
// longest matching prefix's.
func (c *config) groupSettings(group string) (GroupSettings, bool) {
	if len(c.groups) == 0 {
		return GroupSettings{}, false
	}
	if i, ok := c.exact[group]; ok {
		return c.groups[i], true
	}
	for _, i := range c.prefixes {
		if strings.HasPrefix(group, c.groups[i].Pattern[:len(c.groups[i].Pattern)-1]) {
			return c.groups[i], true
		}
	}
	return GroupSettings{}, false
}

// HasHistory reports whether settings keep a history.
func (g GroupSettings) HasHistory() bool { return g.History > 0 || g.HistoryAge > 0 }

// checkGroupName refuses a name a group with settings cannot have; its
// error wraps ErrBadGroup.
func checkGroupName(name string) error {
	if err := checkText(name, MaxGroupName); err != "" {
		return fmt.Errorf("%w: %s", ErrBadGroup, err)
	}
	return nil
}

// checkText says what is wrong with s as a name of at most max bytes
// (empty, too long, not UTF-8, a control character), or "".
func checkText(s string, max int) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > max:
		return "longer than " + strconv.Itoa(max) + " bytes"
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) { // C0, DEL and C1
			return "holds a control character"
		}
	}
	return ""
}

// deliverStored hands a stored publication to this node's members.
func (s *System) deliverStored(p *Publication) error {
	return userErr(s.set.Publish(uint64(p.From), p.Group, &stored{pub: *p}))
}

// stored is a publication of a group with history on its way to members.
type stored struct {
	pub Publication
}

// deliverPresence hands a presence event to this node's watchers.
func (s *System) deliverPresence(ev Presence) error {
	var first error
	for _, id := range s.watchers.of(ev.Group) {
		if err := s.set.Send(uint64(id), 0, ev); err != nil && first == nil {
			first = userErr(err)
		}
	}
	return first
}
