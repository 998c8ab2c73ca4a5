package natsserver_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/cluster/natsserver"
)

// A lone server with JetStream takes a stream and a key-value bucket as
// soon as Start returns; without a DataDir, a restart forgets them.
func TestJetStreamAlone(t *testing.T) {
	s := &natsserver.Server{Listen: "127.0.0.1:0", JetStream: true}
	js, closeConn := connect(t, start(t, s))
	ctx := ctxFor(t)

	// No wait needed alone: WaitJetStream returns at once.
	require.NoError(t, s.WaitJetStream(ctx))
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}, Storage: jetstream.FileStorage})
	require.NoError(t, err)
	for i := range 5 {
		ack, err := js.Publish(ctx, "events.a", fmt.Appendf(nil, "m%d", i))
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), ack.Sequence)
	}
	m, err := st.GetMsg(ctx, 3)
	require.NoError(t, err)
	require.Equal(t, "m2", string(m.Data))

	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "names", Storage: jetstream.FileStorage})
	require.NoError(t, err)
	_, err = kv.Create(ctx, "alice", []byte("node1"))
	require.NoError(t, err)
	_, err = kv.Create(ctx, "alice", []byte("node2"))
	require.ErrorIs(t, err, jetstream.ErrKeyExists, "a key is created once")
	e, err := kv.Get(ctx, "alice")
	require.NoError(t, err)
	require.Equal(t, "node1", string(e.Value()))

	// A temporary DataDir: gone with the Shutdown.
	closeConn()
	s.Shutdown()
	js, _ = connect(t, start(t, s))
	_, err = js.Stream(ctx, "EVENTS")
	require.ErrorIs(t, err, jetstream.ErrStreamNotFound, "nothing survives a restart without DataDir")
}

// A server restarted with the same DataDir finds its streams' messages and
// its key-value buckets again; DataDir alone turns JetStream on.
func TestJetStreamDataDirSurvivesRestart(t *testing.T) {
	s := &natsserver.Server{Listen: "127.0.0.1:0", DataDir: t.TempDir()}
	js, closeConn := connect(t, start(t, s))
	ctx := ctxFor(t)
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}})
	require.NoError(t, err)
	for i := range 10 {
		_, err := js.Publish(ctx, "events.a", fmt.Appendf(nil, "m%d", i))
		require.NoError(t, err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "names"})
	require.NoError(t, err)
	_, err = kv.Put(ctx, "alice", []byte("node1"))
	require.NoError(t, err)

	closeConn()
	s.Shutdown()
	js, _ = connect(t, start(t, s))
	require.NoError(t, s.WaitJetStream(ctx))
	st, err := js.Stream(ctx, "EVENTS")
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(10), info.State.Msgs)
	for i := range 10 {
		m, err := st.GetMsg(ctx, uint64(i+1))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("m%d", i), string(m.Data))
	}
	ack, err := js.Publish(ctx, "events.a", []byte("after"))
	require.NoError(t, err)
	require.Equal(t, uint64(11), ack.Sequence, "the sequence goes on")

	kv, err = js.KeyValue(ctx, "names")
	require.NoError(t, err)
	e, err := kv.Get(ctx, "alice")
	require.NoError(t, err)
	require.Equal(t, "node1", string(e.Value()))
}

// WaitJetStream tells a server that is not running and one without
// JetStream apart.
func TestWaitJetStreamErrors(t *testing.T) {
	ctx := context.Background()
	s := &natsserver.Server{Listen: "127.0.0.1:0"}
	require.ErrorIs(t, s.WaitJetStream(ctx), natsserver.ErrNotRunning)
	start(t, s)
	require.ErrorIs(t, s.WaitJetStream(ctx), natsserver.ErrNoJetStream)
}
