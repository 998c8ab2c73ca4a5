package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
)

const waitFor = 20 * time.Second

// Chat is a message that crosses nodes.
type Chat struct {
	From string
	Text string
}

// Count asks an actor for its count.
type Count struct{}

// pair starts two systems of one cluster: node 1 runs the embedded NATS
// server, node 2 connects to it. Both are stopped at the end of the test,
// node 2 first.
func pair(t *testing.T, opts ...actor.Option) (sys1, sys2 *actor.System, n1, n2 *cluster.Node) {
	t.Helper()
	var err error
	cfg := cluster.Config{Name: "test", Listen: "127.0.0.1:0", Messages: []any{Chat{}, &Count{}}, Heartbeat: 100 * time.Millisecond}
	n1, err = cluster.New(cfg)
	require.NoError(t, err)
	sys1, err = actor.NewSystem(append([]actor.Option{actor.Node(1), actor.Shards(2), actor.Cluster(n1)}, opts...)...)
	require.NoError(t, err)
	require.NoError(t, sys1.Start())
	t.Cleanup(func() { stop(t, sys1) })

	cfg.URL = n1.ClientURL()
	require.NotEmpty(t, cfg.URL)
	n2, err = cluster.New(cfg)
	require.NoError(t, err)
	sys2, err = actor.NewSystem(append([]actor.Option{actor.Node(2), actor.Shards(2), actor.Cluster(n2)}, opts...)...)
	require.NoError(t, err)
	require.NoError(t, sys2.Start())
	t.Cleanup(func() { stop(t, sys2) })

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n1.WaitNodes(ctx, 2))
	require.NoError(t, n2.WaitNodes(ctx, 1))
	return sys1, sys2, n1, n2
}

func stop(t *testing.T, sys *actor.System) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := sys.Stop(ctx); err != nil && !errors.Is(err, actor.ErrStopped) {
		t.Errorf("stop: %v", err)
	}
}

func spawn(t *testing.T, sys *actor.System, f func(ctx *actor.Context)) actor.ID {
	t.Helper()
	id, err := sys.Spawn(func() actor.Actor { return actor.ReceiveFunc(f) })
	require.NoError(t, err)
	return id
}

func TestSendRequestAndAskAcrossNodes(t *testing.T) {
	sys1, sys2, _, _ := pair(t)
	got := make(chan any, 16)
	n := 0
	counter := spawn(t, sys2, func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case Chat:
			n++
			got <- m
			got <- ctx.Sender()
		case *Count:
			ctx.Respond(Chat{Text: "count", From: string(rune('0' + n))})
		}
	})
	require.Equal(t, 2, counter.Node())
	replies := make(chan actor.Response, 4)
	var asker actor.ID
	asker = spawn(t, sys1, func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case string:
			require.NoError(t, ctx.Send(counter, Chat{From: "a", Text: m}))
			_, err := ctx.Request(counter, &Count{}, waitFor)
			require.NoError(t, err)
		case actor.Response:
			replies <- m
		}
	})
	require.NoError(t, sys1.Send(asker, "hello"))
	require.Equal(t, Chat{From: "a", Text: "hello"}, <-got)
	require.Equal(t, asker, <-got, "the sender's ID crosses")
	r := <-replies
	require.NoError(t, r.Err)
	require.Equal(t, Chat{Text: "count", From: "1"}, r.Msg)

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	v, err := sys1.Ask(ctx, counter, &Count{})
	require.NoError(t, err)
	require.Equal(t, Chat{Text: "count", From: "1"}, v)
}
