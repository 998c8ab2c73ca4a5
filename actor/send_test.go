package actor_test

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// relay writes any string message it is sent to its peer, and on a wire
// line "to <id> <text>" sends text to the actor with that ID.
func relay(p *probe) actor.Factory {
	p.onMsg = func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case string:
			ctx.Write(m + " from " + ctx.Sender().String())
		case []byte:
			f := strings.SplitN(string(m), " ", 3)
			if len(f) == 3 && f[0] == "to" {
				id, err := actor.ParseID(f[1])
				if err != nil {
					ctx.Write("bad id")
					return
				}
				if err := ctx.Send(id, f[2]); err != nil {
					ctx.Write("send failed: " + err.Error())
				}
			}
		}
	}
	return p.factory
}

func TestSystemSendReachesConnectionActor(t *testing.T) {
	p := newProbe()
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), relay(p), actor.Shards(2))
	c := dial(t, l.Addr())
	id := p.next(t, isOpened).id
	require.NoError(t, sys.Send(id, "pushed"))
	require.Equal(t, "pushed from 0:0:0:0", readLine(t, bufio.NewReader(c)))
	require.ErrorIs(t, sys.Send(0, "x"), actor.ErrZeroID)
	require.ErrorIs(t, sys.Send(actor.ID(uint64(7)<<54|1), "x"), actor.ErrRemoteNode)
}

func TestContextSendAcrossShardsKeepsOrder(t *testing.T) {
	p := newProbe()
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), relay(p), actor.Shards(2))
	a := dial(t, l.Addr())
	ida := p.next(t, isOpened).id
	b := dial(t, l.Addr())
	idb := p.next(t, isOpened).id
	require.NotEqual(t, ida.Shard(), idb.Shard(), "round-robin puts consecutive connections on different shards")

	const n = 500
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteString("to " + idb.String() + " m" + strconv.Itoa(i) + "\n")
	}
	_, err := a.Write([]byte(sb.String()))
	require.NoError(t, err)
	r := bufio.NewReader(b)
	for i := 0; i < n; i++ {
		require.Equal(t, "m"+strconv.Itoa(i)+" from "+ida.String(), readLine(t, r))
	}
}

func TestSendToStaleIDIsADeadLetter(t *testing.T) {
	p := newProbe()
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), relay(p))
	old := dial(t, l.Addr())
	oldID := p.next(t, isOpened).id
	old.Close()
	p.next(t, isClosed)

	fresh := dial(t, l.Addr())
	freshID := p.next(t, isOpened).id
	require.NotEqual(t, oldID, freshID)

	require.NoError(t, sys.Send(oldID, "for the old one"))
	require.Eventually(t, func() bool { return sys.Stats()[0].DeadLetters == 1 }, waitFor, time.Millisecond)
	require.NoError(t, sys.Send(freshID, "for the new one"))
	require.Equal(t, "for the new one from 0:0:0:0", readLine(t, bufio.NewReader(fresh)))
}
