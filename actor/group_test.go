package actor_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// chatMember joins "room" when opened; a wire line "leave" leaves it, any
// other line is published to the room; published lines are written to the
// peer with their sender.
func chatMember() actor.Actor {
	return actor.ReceiveFunc(func(ctx *actor.Context) {
		switch m := ctx.Message().(type) {
		case actor.Opened:
			ctx.Join("room")
			ctx.Join("room") // twice is a no-op
			ctx.Write("joined " + ctx.Self().String())
		case []byte:
			if ctx.Sender().IsZero() {
				if string(m) == "leave" {
					ctx.Leave("room")
					ctx.Write("left")
					return
				}
				ctx.Publish("room", m)
				return
			}
			ctx.Write(ctx.Sender().String() + ": " + string(m))
		case string:
			ctx.Write("system: " + m)
		}
	})
}

type member struct {
	c  net.Conn
	r  *bufio.Reader
	id string
}

func joinRoom(t *testing.T, addr net.Addr) *member {
	c := dial(t, addr)
	r := bufio.NewReader(c)
	line := readLine(t, r)
	require.True(t, strings.HasPrefix(line, "joined "), line)
	return &member{c: c, r: r, id: strings.TrimPrefix(line, "joined ")}
}

func TestGroupPublishReachesEveryMemberOnEveryShard(t *testing.T) {
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), chatMember, actor.Shards(3))
	var ms []*member
	for i := 0; i < 9; i++ {
		ms = append(ms, joinRoom(t, l.Addr()))
	}
	// each member says one line; everyone, the sender included, hears every
	// line, and each sender's lines in order
	for _, m := range ms {
		_, err := m.c.Write([]byte("hi from " + m.id + "\n"))
		require.NoError(t, err)
	}
	for _, m := range ms {
		heard := map[string]bool{}
		for range ms {
			heard[readLine(t, m.r)] = true
		}
		for _, from := range ms {
			require.True(t, heard[from.id+": hi from "+from.id], "%s missed %s", m.id, from.id)
		}
	}

	// a member that leaves hears nothing more; the others still do
	_, err := ms[0].c.Write([]byte("leave\n"))
	require.NoError(t, err)
	require.Equal(t, "left", readLine(t, ms[0].r))
	require.NoError(t, sys.Publish("room", "closing time"))
	for _, m := range ms[1:] {
		require.Equal(t, "system: closing time", readLine(t, m.r))
	}
	_, err = ms[0].c.Write([]byte("anyone?\n")) // published to a room it left: it is not a member
	require.NoError(t, err)
	for _, m := range ms[1:] {
		require.Equal(t, ms[0].id+": anyone?", readLine(t, m.r))
	}

	// members that close leave automatically
	for _, m := range ms[1:] {
		m.c.Close()
	}
	require.NoError(t, sys.Publish("room", "to nobody"))
	require.NoError(t, sys.Publish("no such group", "to nobody"))
}

// A member that panics on a publication costs only its own delivery: the
// members after it in the fan-out still get that publication, and later
// ones reach everyone.
func TestPanickingMemberDoesNotStopTheFanOut(t *testing.T) {
	failures := make(chan actor.Failure, 8)
	sys := startBare(t, actor.Shards(1), actor.OnFailure(func(f actor.Failure) { failures <- f }))
	got := make(chan string, 64)
	joined := make(chan struct{}, 8)
	var ids []actor.ID
	for i := range 5 {
		id, err := sys.Spawn(func() actor.Actor {
			return actor.ReceiveFunc(func(ctx *actor.Context) {
				switch m := ctx.Message().(type) {
				case actor.Started:
					ctx.Join("g")
					joined <- struct{}{}
				case string:
					if i%2 == 1 && m == "boom" {
						panic("member " + fmt.Sprint(i))
					}
					got <- fmt.Sprint(i, ":", m)
				}
			})
		})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	for range 5 {
		<-joined
	}
	require.NoError(t, sys.Publish("g", "boom"))
	expectEachOnce(t, got, "0:boom", "2:boom", "4:boom")
	for range 2 {
		f := <-failures
		require.Contains(t, []actor.ID{ids[1], ids[3]}, f.ID)
		require.Equal(t, actor.ActionRestarted, f.Action)
	}
	for range 2 { // the restarted members join again
		<-joined
	}
	require.NoError(t, sys.Publish("g", "calm"))
	expectEachOnce(t, got, "0:calm", "1:calm", "2:calm", "3:calm", "4:calm")
}

// expectEachOnce takes len(want) strings from got: each of want once, in
// any order.
func expectEachOnce(t *testing.T, got chan string, want ...string) {
	t.Helper()
	left := map[string]bool{}
	for _, w := range want {
		left[w] = true
	}
	for len(left) > 0 {
		select {
		case s := <-got:
			require.True(t, left[s], "unexpected or twice: %s", s)
			delete(left, s)
		case <-time.After(waitFor):
			t.Fatalf("never delivered: %v", left)
		}
	}
}
