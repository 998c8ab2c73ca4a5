package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// A batch of a direct get that lost one of its replies (the scan's reply
// channel full: ChanSubscribe drops what does not fit, a slow consumer)
// must not pass for a whole batch: each reply of a batch names the one
// sent before it (Nats-Last-Sequence), so the gap can be told, and the
// batch read again. directGets takes what reaches it as the batch, and the
// scan goes on past the lost message without a word.
func TestDirectBatchLostReplyIsReadAgain(t *testing.T) {
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true, JetStream: true, StoreDir: t.TempDir()}
	srv, err := server.NewServer(opts)
	require.NoError(t, err)
	go srv.Start()
	require.True(t, srv.ReadyForConnections(10*time.Second))
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc, err := nats.Connect(srv.ClientURL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "GAP", Subjects: []string{"gap.>"}, AllowDirect: true, Storage: jetstream.MemoryStorage})
	require.NoError(t, err)
	for range 3 {
		_, err := js.Publish(ctx, "gap.a", []byte("x"))
		require.NoError(t, err)
	}
	// The replies as the scan subscribes to them, but the second message
	// of the batch lost on the way (as a full channel drops it).
	inbox := nc.NewInbox()
	raw := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe(inbox+".*", raw)
	require.NoError(t, err)
	defer sub.Unsubscribe()
	replies := make(chan *nats.Msg, 16)
	done := make(chan struct{})
	defer close(done)
	go func() {
		data := 0
		for {
			var m *nats.Msg
			select {
			case <-done:
				return
			case m = <-raw:
			}
			if m.Header.Get(statusHeader) == "" {
				data++
				if data == 2 {
					continue // dropped
				}
			}
			replies <- m
		}
	}()
	h := &history{name: "GAP"}
	b, err := h.directGets(nc, replies, inbox, "gap.a")(ctx, 1, 10)
	if err == nil {
		var seqs []uint64
		for _, m := range b.msgs {
			seqs = append(seqs, m.seq)
		}
		require.Equal(t, []uint64{1, 2, 3}, seqs, "a batch that lost a reply taken for whole (more=%v): the scan skips the lost one", b.more)
	}
	// An error (which the scan tries again on) is a right answer too.
}
