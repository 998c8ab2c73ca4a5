package actor_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// allocBatch is how many messages one measured run delivers: an allocation
// per message would show as at least allocBatch per run.
const allocBatch = 1000

// allocRuns is how many batches testing.AllocsPerRun averages, after one
// warm-up batch that grows the queues and buffers to their steady size.
//
// AllocsPerRun counts every allocation in the process (the shards', the
// runtime's, the test goroutine's), and the harness allocates nothing per
// batch (preallocated messages and buffers, a reused timer, channels of
// struct{}), so the count per batch must be 0: no slack is given. The
// average is an integer division, so fewer than allocRuns stray
// allocations in the whole measurement (the runtime's, now and then) still
// read as 0, while one allocation per message reads as allocBatch.
const allocRuns = 20

type (
	allocGo   struct{ _ byte } // to the source: send a batch
	allocPing struct{ _ byte } // a message of a batch
)

// allocSource sends allocBatch pings to its target on each *allocGo,
// reporting the first error of a Send (never blocking its shard).
type allocSource struct {
	to   actor.ID
	msg  any
	errs chan error
}

func (s *allocSource) Receive(ctx *actor.Context) {
	if _, ok := ctx.Message().(*allocGo); !ok {
		return
	}
	for range allocBatch {
		if err := ctx.Send(s.to, s.msg); err != nil {
			select {
			case s.errs <- err:
			default:
			}
			return
		}
	}
}

// allocSink counts pings and says on done when a whole batch has come.
type allocSink struct {
	got  int
	done chan struct{}
}

func (k *allocSink) Receive(ctx *actor.Context) {
	if _, ok := ctx.Message().(*allocPing); !ok {
		return
	}
	if k.got++; k.got == allocBatch {
		k.got = 0
		k.done <- struct{}{}
	}
}

// TestDeliveryDoesNotAllocate pins what BenchmarkCrossShard and
// BenchmarkEchoPingPong report: delivering a message costs no allocation,
// from one spawned actor to another on its shard and on the other shard, and
// a frame from a TCP client echoed by its connection actor. The messages are
// preallocated pointers (boxing a value would be the sender's allocation,
// not the delivery's). Actors report only through channels; the test
// goroutine asserts.
func TestDeliveryDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are measured without -race")
	}
	sys, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), echoFactory, actor.Shards(2))
	spawn := func(t *testing.T, a actor.Actor) actor.ID {
		t.Helper()
		id, err := sys.Spawn(func() actor.Actor { return a })
		require.NoError(t, err)
		return id
	}
	// One timer, reset per batch, so that waiting with a deadline costs no
	// allocation per batch (time.After would).
	timeout := time.NewTimer(waitFor)
	defer timeout.Stop()

	for _, tc := range []struct {
		name      string
		sameShard bool
	}{
		{"same shard", true},
		{"across shards", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &allocSink{done: make(chan struct{}, 1)}
			sinkID := spawn(t, sink)
			src := &allocSource{to: sinkID, msg: &allocPing{}, errs: make(chan error, 1)}
			// Placement is round-robin: spawn until one lands where wanted
			// (the others never get an *allocGo and stay idle).
			srcID := spawn(t, src)
			for (srcID.Shard() == sinkID.Shard()) != tc.sameShard {
				src = &allocSource{to: sinkID, msg: src.msg, errs: src.errs}
				srcID = spawn(t, src)
			}
			goMsg := any(&allocGo{})
			allocs := testing.AllocsPerRun(allocRuns, func() {
				if err := sys.Send(srcID, goMsg); err != nil {
					t.Fatalf("System.Send: %v", err)
				}
				timeout.Reset(waitFor)
				select {
				case <-sink.done:
				case err := <-src.errs:
					t.Fatalf("Context.Send: %v", err)
				case <-timeout.C:
					t.Fatalf("a batch of %d messages did not arrive within %v", allocBatch, waitFor)
				}
			})
			t.Logf("%v allocations per batch of %d messages", allocs, allocBatch)
			require.Zero(t, allocs,
				"%v allocations per batch of %d messages: the delivery allocates (%.3f per message)", allocs, allocBatch, allocs/allocBatch)
		})
	}

	t.Run("TCP echo", func(t *testing.T) {
		c := dial(t, l.Addr()) // its deadline bounds every read and write below
		allocs := echoBatchAllocs(t, c)
		t.Logf("%v allocations per batch of %d frames", allocs, allocBatch)
		require.Zero(t, allocs,
			"%v allocations per batch of %d frames: the echo path allocates (%.3f per frame)", allocs, allocBatch, allocs/allocBatch)
	})
}

// echoBatchAllocs echoes batches of allocBatch lines over c and returns the
// allocations per batch (process-wide), checking the last echo.
func echoBatchAllocs(t *testing.T, c net.Conn) float64 {
	t.Helper()
	const line = "0123456789abcde\n"
	batch := bytes.Repeat([]byte(line), allocBatch)
	got := make([]byte, len(batch))
	var failed error
	allocs := testing.AllocsPerRun(allocRuns, func() {
		if failed != nil {
			return
		}
		if _, err := c.Write(batch); err != nil {
			failed = fmt.Errorf("write: %w", err)
			return
		}
		if _, err := io.ReadFull(c, got); err != nil {
			failed = fmt.Errorf("read the echo: %w", err)
		}
	})
	require.NoError(t, failed)
	require.Equal(t, batch, got, "the echo of the last batch")
	return allocs
}
