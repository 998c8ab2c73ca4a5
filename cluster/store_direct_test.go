package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
)

// A group's stream for scanner: the leader holds the group's messages at
// seqs; a replica answering direct gets holds those up to its stored,
// which grows by catchUp after each answer short of the leader's (0: it
// stays behind).
type fakeStream struct {
	seqs     []uint64 // the group's messages, in order (the leader's)
	gone     uint64   // the leader dropped those up to it
	stored   uint64   // the replica's last stored sequence
	catchUp  uint64
	perBatch int // the most a direct get gives (a batch cut short by max_bytes)
	fail     int // direct gets to fail first, transiently

	directs, leaders int // gets made
}

var errFlaky = errors.New("no responders (test)")

func (f *fakeStream) get(from, upTo uint64, limit uint64, n int) batchReply {
	var b batchReply
	for _, s := range f.seqs {
		if s < from || s <= f.gone || s > limit {
			continue
		}
		if len(b.msgs) == n {
			b.more = true
			break
		}
		b.msgs = append(b.msgs, storedMsg{seq: s})
	}
	return b
}

func (f *fakeStream) scanner() *scanner {
	return &scanner{
		direct: func(_ context.Context, from, upTo uint64) (batchReply, error) {
			f.directs++
			if f.fail > 0 {
				f.fail--
				return batchReply{}, errFlaky
			}
			b := f.get(from, upTo, f.stored, min(f.perBatch, int(upTo-from+1)))
			if !b.more && f.catchUp > 0 {
				f.stored += f.catchUp
			}
			return b, nil
		},
		leader: func(_ context.Context, from, upTo uint64) (batchReply, error) {
			f.leaders++
			b := f.get(from, upTo, ^uint64(0), 1)
			b.more = len(b.msgs) > 0
			return b, nil
		},
		gone:      func(_ context.Context, seq uint64) (bool, error) { return seq <= f.gone, nil },
		transient: func(err error) bool { return errors.Is(err, errFlaky) || errors.Is(err, nats.ErrNoResponders) },
	}
}

// The scan loop (store_direct.go) on replicas behind their leader: it
// never ends short of must unless must is gone; it reads a batch cut short
// on from where it stopped; it stops at upTo and when fn says so.
func TestScanMust(t *testing.T) {
	seqs := []uint64{3, 5, 6, 9, 12, 13, 20, 21, 30, 31}
	cases := []struct {
		name              string
		f                 fakeStream
		start, upTo, must uint64
		stopAfter         int // fn returns false after this many (0: never)
		want              []uint64
		leaderReads       bool // some messages were read from the leader
	}{
		{name: "replica holds all", f: fakeStream{stored: 31, perBatch: 256}, start: 1, upTo: 31, must: 31, want: seqs},
		{name: "batches cut short", f: fakeStream{stored: 31, perBatch: 3}, start: 4, upTo: 21, must: 21, want: []uint64{5, 6, 9, 12, 13, 20, 21}},
		{name: "upTo before the end", f: fakeStream{stored: 31, perBatch: 256}, start: 1, upTo: 14, must: 13, want: []uint64{3, 5, 6, 9, 12, 13}},
		{name: "fn stops it", f: fakeStream{stored: 31, perBatch: 2}, start: 1, upTo: 31, must: 31, stopAfter: 3, want: []uint64{3, 5, 6}},
		{name: "replica behind catches up", f: fakeStream{stored: 10, catchUp: 4, perBatch: 256}, start: 1, upTo: 31, must: 31, want: seqs},
		{name: "replica stays behind: the leader", f: fakeStream{stored: 10, perBatch: 256}, start: 1, upTo: 31, must: 31, want: seqs, leaderReads: true},
		{name: "replica has none yet", f: fakeStream{stored: 0, perBatch: 256}, start: 1, upTo: 31, must: 31, want: seqs, leaderReads: true},
		{name: "must past upTo (a window of lastN)", f: fakeStream{stored: 8, perBatch: 256}, start: 4, upTo: 19, must: 20, want: []uint64{5, 6, 9, 12, 13}, leaderReads: true},
		{name: "must gone", f: fakeStream{stored: 10, gone: 31, perBatch: 256}, start: 1, upTo: 31, must: 31, want: nil},
		{name: "no must: what the replica has", f: fakeStream{stored: 10, perBatch: 256}, start: 1, upTo: 31, want: []uint64{3, 5, 6, 9}},
		{name: "transient failures", f: fakeStream{stored: 31, perBatch: 4, fail: 3}, start: 1, upTo: 31, must: 31, want: seqs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.f
			f.seqs = seqs
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var got []uint64
			err := f.scanner().scan(ctx, c.start, c.upTo, c.must, func(m *storedMsg) bool {
				got = append(got, m.seq)
				return c.stopAfter == 0 || len(got) < c.stopAfter
			})
			require.NoError(t, err)
			require.Equal(t, c.want, got)
			require.Equal(t, c.leaderReads, f.leaders > 0, "read from the leader")
		})
	}
}

// A scan that cannot read short of must within its context fails; it
// does not end as if it had read everything.
func TestScanMustTimesOut(t *testing.T) {
	f := fakeStream{seqs: []uint64{1, 2, 3}, stored: 1, perBatch: 256}
	r := f.scanner()
	r.leader = r.direct // the leader unreachable: only the replica behind
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var got []uint64
	err := r.scan(ctx, 1, 3, 3, func(m *storedMsg) bool { got = append(got, m.seq); return true })
	require.Error(t, err)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, []uint64{1}, got)
}
