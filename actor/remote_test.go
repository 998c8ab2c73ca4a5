package actor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/stretchr/testify/require"
)

// fakeRemote records what a system hands to its cluster.
type fakeRemote struct {
	mu        sync.Mutex
	local     *actor.Local
	startErr  error
	stopped   bool
	envelopes chan actor.Envelope
	interest  chan string
	sendErr   error // what Send returns, if set
}

func newFakeRemote() *fakeRemote {
	return &fakeRemote{envelopes: make(chan actor.Envelope, 16), interest: make(chan string, 16)}
}

func (f *fakeRemote) Start(l *actor.Local) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.local = l
	return f.startErr
}

func (f *fakeRemote) Stop(context.Context) error {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	return nil
}

func (f *fakeRemote) Send(e *actor.Envelope) error {
	f.mu.Lock()
	err := f.sendErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	f.envelopes <- *e
	return nil
}

func (f *fakeRemote) Interest(group string, on bool) {
	if on {
		f.interest <- "+" + group
	} else {
		f.interest <- "-" + group
	}
}

func (f *fakeRemote) next(t *testing.T) actor.Envelope {
	t.Helper()
	select {
	case e := <-f.envelopes:
		return e
	case <-time.After(waitFor):
		t.Fatal("nothing reached the remote")
	}
	return actor.Envelope{}
}

func idOn(t *testing.T, s string) actor.ID {
	t.Helper()
	id, err := actor.ParseID(s)
	require.NoError(t, err)
	return id
}

// What a system hands its Remote, and what it does with what the Remote
// hands back.
func TestRemoteSeesEnvelopes(t *testing.T) {
	f := newFakeRemote()
	sys := startBare(t, actor.Node(3), actor.Shards(2), actor.Cluster(f))
	f.mu.Lock()
	require.Equal(t, 3, f.local.Node())
	f.mu.Unlock()
	elsewhere := idOn(t, "5:1:2:3")

	// Sends from outside and from an actor.
	require.NoError(t, sys.Send(elsewhere, "hi"))
	require.Equal(t, actor.Envelope{Kind: actor.KindMessage, Node: 5, To: elsewhere, Msg: "hi"}, f.next(t))
	got := make(chan any, 16)
	errs := make(chan error, 16) // what each of the actor's calls returned, in order, asserted below
	var self actor.ID
	a, err := sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch m := ctx.Message().(type) {
			case string:
				switch m {
				case "send":
					self = ctx.Self()
					errs <- ctx.Send(elsewhere, "from an actor")
				case "join":
					ctx.Join("g")
				case "leave":
					ctx.Leave("g")
				case "publish":
					errs <- ctx.Publish("g", "news")
				case "question":
					errs <- ctx.Respond("answer")
				case "request":
					_, err := ctx.Request(elsewhere, "q", waitFor)
					errs <- err
				default:
					got <- m
				}
			case actor.Response:
				got <- m
			}
		})
	})
	require.NoError(t, err)
	require.NoError(t, sys.Send(a, "send"))
	require.NoError(t, recv(t, errs), "Context.Send")
	e := f.next(t)
	require.Equal(t, actor.Envelope{Kind: actor.KindMessage, Node: 5, To: elsewhere, From: self, Msg: "from an actor"}, e)

	// Group interest follows the first member in and the last one out;
	// a publication reaches local members and the remote once.
	require.NoError(t, sys.Send(a, "join"))
	require.Equal(t, "+g", <-f.interest)
	require.NoError(t, sys.Send(a, "publish"))
	require.NoError(t, recv(t, errs), "Context.Publish")
	require.Equal(t, "news", <-got)
	require.Equal(t, actor.Envelope{Kind: actor.KindPublish, Node: -1, From: a, Group: "g", Msg: "news"}, f.next(t))
	require.NoError(t, sys.Send(a, "leave"))
	require.Equal(t, "-g", <-f.interest)

	// Messages from other nodes reach their actor with their sender.
	require.NoError(t, f.local.Deliver(&actor.Envelope{Kind: actor.KindMessage, To: a, From: elsewhere, Msg: "from afar"}))
	require.Equal(t, "from afar", <-got)
	// A request from another node's actor is answered back through the remote.
	require.NoError(t, f.local.Deliver(&actor.Envelope{Kind: actor.KindRequest, To: a, From: elsewhere, Request: 9, Msg: "question"}))
	require.NoError(t, recv(t, errs), "Context.Respond")
	require.Equal(t, actor.Envelope{Kind: actor.KindResponse, Node: 5, To: elsewhere, From: a, Request: 9, Msg: "answer"}, f.next(t))
	// ... and one from a goroutine waiting in Ask on node 6, to that node.
	require.NoError(t, f.local.Deliver(&actor.Envelope{Kind: actor.KindRequest, To: a, Request: 10, AskNode: 6, Msg: "question"}))
	require.NoError(t, recv(t, errs), "Context.Respond")
	require.Equal(t, actor.Envelope{Kind: actor.KindResponse, Node: 6, From: a, Request: 10, Msg: "answer"}, f.next(t))
	// A request for an actor that is gone gets ErrNoActor back.
	stale := idOn(t, "3:0:999:1")
	require.NoError(t, f.local.Deliver(&actor.Envelope{Kind: actor.KindRequest, To: stale, From: elsewhere, Request: 11, Msg: "question"}))
	require.Equal(t, actor.Envelope{Kind: actor.KindResponse, Node: 5, To: elsewhere, From: stale, Request: 11, Err: actor.ErrNoActor}, f.next(t))

	// An actor's request to another node: the answer comes back as its Response.
	require.NoError(t, sys.Send(a, "request"))
	require.NoError(t, recv(t, errs), "Context.Request")
	e = f.next(t)
	require.Equal(t, actor.KindRequest, e.Kind)
	require.Equal(t, a, e.From)
	require.NoError(t, f.local.Deliver(&actor.Envelope{Kind: actor.KindResponse, To: a, From: elsewhere, Request: e.Request, Msg: "reply"}))
	require.Equal(t, actor.Response{ID: e.Request, Msg: "reply"}, <-got)

	// Ask to another node waits for the response addressed to this node.
	answer := make(chan any, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		v, err := sys.Ask(ctx, elsewhere, "q")
		if err != nil {
			v = err
		}
		answer <- v
	}()
	e = f.next(t)
	require.Equal(t, actor.Envelope{Kind: actor.KindRequest, Node: 5, To: elsewhere, Request: e.Request, AskNode: 3, Msg: "q"}, e)
	require.NoError(t, f.local.Deliver(&actor.Envelope{Kind: actor.KindResponse, Request: e.Request, Msg: "yes"}))
	require.Equal(t, "yes", <-answer)
	// A late or unknown answer goes nowhere.
	require.NoError(t, f.local.Deliver(&actor.Envelope{Kind: actor.KindResponse, Request: e.Request, Msg: "again"}))
	require.Error(t, f.local.Deliver(&actor.Envelope{Kind: 99}))

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, sys.Stop(ctx))
	f.mu.Lock()
	require.True(t, f.stopped)
	f.mu.Unlock()
}

func TestRemoteThatCannotStartFailsStart(t *testing.T) {
	f := newFakeRemote()
	f.startErr = errors.New("no cluster today")
	sys, err := actor.NewSystem(actor.Cluster(f))
	require.NoError(t, err)
	err = sys.Start()
	require.ErrorContains(t, err, "no cluster today")
	require.ErrorIs(t, sys.Send(idOn(t, "0:0:1:1"), "x"), actor.ErrStopped)
}

// What the cluster cannot carry fails with ErrNotSent, wrapping the
// cluster's own reason, from every kind of send and from both sides.
func TestRemoteErrorsWrapErrNotSent(t *testing.T) {
	f := newFakeRemote()
	noNode := errors.New("cluster: no such node")
	f.sendErr = noNode
	sys := startBare(t, actor.Node(1), actor.Cluster(f))
	far, err := actor.ParseID("5:0:1:1")
	require.NoError(t, err)
	check := func(err error) {
		t.Helper()
		require.ErrorIs(t, err, actor.ErrNotSent)
		require.ErrorIs(t, err, noNode)
	}
	check(sys.Send(far, "x"))
	_, err = sys.Ask(context.Background(), far, "x")
	check(err)
	check(sys.Publish("room", "x"))
	check(sys.Broadcast("room", "x"))
	require.Equal(t, "actor: not sent to node 5: cluster: no such node", sys.Send(far, "x").Error())

	errs := make(chan error, 3)
	_, err = sys.Spawn(func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if _, ok := ctx.Message().(actor.Started); ok {
				errs <- ctx.Send(far, "x")
				_, err := ctx.Request(far, "x", time.Second)
				errs <- err
				errs <- ctx.Publish("room", "x")
			}
		})
	})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		check(recv(t, errs))
	}
}
