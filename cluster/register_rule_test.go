package cluster_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

// Messages of the register-rule test: Visit is registered as a value,
// Poke as a pointer.
type (
	Visit struct{ Where string }
	Poke  struct{ N int }
)

// What you register is what you receive across nodes too: a message sent
// to an actor on another node, in either form, arrives in the form its type
// was registered in (Visit{} as a Visit, &Poke{} as a *Poke), and so does
// the answer to a request.
func TestRegisteredFormCrossesNodes(t *testing.T) {
	sys1, sys2 := ruleNodes(t, Visit{}, &Poke{})
	got := make(chan any, 16)     // the actor reports here: no require on a shard
	failed := make(chan error, 1) // and here if it cannot answer a request
	receiver, err := sys2.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			m := ctx.Message()
			// Answer in the form not registered: the asker still gets the
			// registered one. A plain send has nothing to answer.
			var answer any
			switch m.(type) {
			case Visit, *Visit:
				answer = &Visit{Where: "answer"}
			case Poke, *Poke:
				answer = Poke{N: -1}
			default:
				return
			}
			got <- m
			if err := ctx.Respond(answer); err != nil && !errors.Is(err, actor.ErrNoRequest) {
				select {
				case failed <- err:
				default:
				}
			}
		})
	})
	require.NoError(t, err)
	require.Equal(t, 2, receiver.Node())

	for _, m := range []struct{ sent, want any }{
		{Visit{Where: "a"}, Visit{Where: "a"}},
		{&Visit{Where: "b"}, Visit{Where: "b"}},
		{Poke{N: 3}, &Poke{N: 3}},
		{&Poke{N: 4}, &Poke{N: 4}},
	} {
		require.NoError(t, sys1.Send(receiver, m.sent))
		r := recv(t, got)
		require.Equal(t, reflect.TypeOf(m.want), reflect.TypeOf(r), "sent %T", m.sent)
		require.Equal(t, m.want, r)
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for _, m := range []struct{ sent, want, answer any }{
		{&Visit{Where: "q"}, Visit{Where: "q"}, Visit{Where: "answer"}},
		{Poke{N: 5}, &Poke{N: 5}, &Poke{N: -1}},
	} {
		answer, err := sys1.Ask(ctx, receiver, m.sent)
		require.NoError(t, err)
		r := recv(t, got)
		require.Equal(t, reflect.TypeOf(m.want), reflect.TypeOf(r), "asked with %T", m.sent)
		require.Equal(t, m.want, r)
		require.Equal(t, reflect.TypeOf(m.answer), reflect.TypeOf(answer), "answer to %T", m.sent)
		require.Equal(t, m.answer, answer)
	}
	select {
	case err := <-failed:
		t.Fatalf("Respond: %v", err)
	default:
	}
}

// ruleNodes starts two systems of one cluster whose messages are samples:
// node 1 runs the embedded NATS server, node 2 connects to it. Both stop at
// the end of the test, node 2 first.
func ruleNodes(t *testing.T, samples ...any) (sys1, sys2 *actor.System) {
	t.Helper()
	cfg := cluster.Config{Name: "rule", Server: &natsserver.Server{Listen: "127.0.0.1:0"}, Messages: samples, Heartbeat: 100 * time.Millisecond,
		OnError: func(err error) { t.Log(err) }}
	start := func(node int, cfg cluster.Config) (*actor.System, *cluster.Node) {
		n, err := cluster.New(cfg)
		require.NoError(t, err)
		sys, err := actor.NewSystem(actor.Node(node), actor.Shards(1), actor.Cluster(n))
		require.NoError(t, err)
		require.NoError(t, sys.Start())
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			if err := sys.Stop(ctx); err != nil && !errors.Is(err, actor.ErrStopped) {
				t.Errorf("stop node %d: %v", node, err)
			}
		})
		return sys, n
	}
	sys1, n1 := start(1, cfg)
	cfg.Server, cfg.URL = nil, n1.ClientURL()
	sys2, n2 := start(2, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, n1.WaitNodes(ctx, 2))
	require.NoError(t, n2.WaitNodes(ctx, 1))
	return sys1, sys2
}
