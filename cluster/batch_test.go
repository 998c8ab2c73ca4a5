package cluster

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
)

// batchOf frames envelopes (any bytes) as a batch.
func batchOf(parts ...[]byte) []byte {
	b := []byte{wireBatch}
	for _, p := range parts {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

func TestEachEnvelope(t *testing.T) {
	collect := func(data []byte) ([][]byte, error) {
		var got [][]byte
		err := eachEnvelope(data, func(b []byte) { got = append(got, bytes.Clone(b)) })
		return got, err
	}
	lone := []byte{wireVersion, 1, 0}
	got, err := collect(lone)
	require.NoError(t, err)
	require.Equal(t, [][]byte{lone}, got, "a lone envelope is handed over whole")

	got, err = collect(batchOf([]byte("one"), []byte{}, []byte("three")))
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("one"), {}, []byte("three")}, got)

	got, err = collect([]byte{wireBatch})
	require.NoError(t, err)
	require.Empty(t, got, "an empty batch holds nothing")

	broken := append(batchOf([]byte("ok")), 9, 0, 0, 0, 'x') // claims 9 bytes, has 1
	got, err = collect(broken)
	require.ErrorIs(t, err, ErrMalformed)
	require.Equal(t, [][]byte{[]byte("ok")}, got, "what came before the break is handed over")

	got, err = collect(append(batchOf([]byte("ok")), 1, 0))
	require.ErrorIs(t, err, ErrMalformed, "a length cut short")
	require.Len(t, got, 1)

	_, err = collect(nil)
	require.ErrorIs(t, err, ErrMalformed)
}

// FuzzEachEnvelope: any message splits without a panic, into pieces that
// lie inside it, back to back, and a message that splits cleanly is
// rebuilt exactly from its pieces.
func FuzzEachEnvelope(f *testing.F) {
	f.Add([]byte{wireBatch})
	f.Add(batchOf([]byte("a"), []byte("bc")))
	f.Add(append(batchOf([]byte("a")), 200, 0, 0, 0))
	f.Add([]byte{wireVersion, 1, 0, 0})
	f.Add([]byte{wireBatch, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var parts [][]byte
		err := eachEnvelope(data, func(b []byte) { parts = append(parts, b) })
		if len(data) == 0 {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("empty message: %v", err)
			}
			return
		}
		if data[0] != wireBatch {
			if err != nil || len(parts) != 1 || !bytes.Equal(parts[0], data) {
				t.Fatalf("a lone envelope: %d parts, %v", len(parts), err)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if rebuilt := batchOf(parts...); !bytes.Equal(rebuilt, data) {
			t.Fatalf("pieces rebuild %x, want %x", rebuilt, data)
		}
	})
}

// add queues without publishing; past MaxPending it refuses with ErrBacklog
// and keeps what it had; a flush publishes everything, in order, one NATS
// message per batch, and makes room again. A subject's batch that would pass
// the server's maximum payload is continued in a new batch.
func TestAddQueuesUntilMaxPending(t *testing.T) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true, MaxPayload: 4096})
	require.NoError(t, err)
	srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	require.True(t, srv.ReadyForConnections(10*time.Second))
	nc, err := nats.Connect(srv.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	in := make(chan *nats.Msg, 64)
	_, err = nc.ChanSubscribe("s.>", in)
	require.NoError(t, err)
	require.NoError(t, nc.Flush())

	n, err := New(Config{URL: srv.ClientURL(), MaxPending: 10_000})
	require.NoError(t, err)
	e := &actor.Envelope{Kind: actor.KindMessage, To: 1, Msg: string(bytes.Repeat([]byte("x"), 1000))}
	queued := 0
	for ; ; queued++ {
		if err := n.add(nc, "s.a", e); err != nil {
			require.ErrorIs(t, err, ErrBacklog)
			break
		}
	}
	require.Equal(t, 9, queued, "about 10 000 bytes of 1 000-byte messages")
	require.NoError(t, n.add(nc, "s.b", &actor.Envelope{Kind: actor.KindMessage, To: 1}) /* small: fits */)
	n.flush(nc)
	require.NoError(t, n.add(nc, "s.a", e), "a flush makes room")
	n.flush(nc)
	require.NoError(t, nc.Flush())

	var msgs []*nats.Msg
	for len(msgs) < 4 { // s.a: 9 x ~1 KiB in batches of at most 4 KiB: 3; s.b: 1; then s.a again
		select {
		case m := <-in:
			msgs = append(msgs, m)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d NATS messages", len(msgs))
		}
	}
	for len(msgs) < 5 {
		msgs = append(msgs, <-in)
	}
	subjects := []string{}
	envelopes := 0
	for _, m := range msgs {
		subjects = append(subjects, m.Subject)
		require.LessOrEqual(t, len(m.Data), 4096)
		require.NoError(t, eachEnvelope(m.Data, func(b []byte) {
			var got actor.Envelope
			require.NoError(t, decodeEnvelope(b, &got, n.ser))
			envelopes++
		}))
	}
	require.Equal(t, []string{"s.a", "s.a", "s.a", "s.b", "s.a"}, subjects, "batches go in the order they began")
	require.Equal(t, 11, envelopes)
}
