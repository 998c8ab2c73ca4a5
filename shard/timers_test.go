package shard

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestTimerQueueFiresInDeadlineOrder(t *testing.T) {
	var q timerQueue
	r := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	for i := 0; i < n; i++ {
		q.add(time.Duration(r.IntN(1000))-500, 0, uint64(i), i) // half already due
	}
	q.epoch = q.epoch.Add(-time.Second) // every deadline has passed
	var whens []int64
	q.expire(func(to uint64, msg any) bool {
		if int(to) != msg.(int) {
			t.Fatalf("timer for %d carried %v", to, msg)
		}
		whens = append(whens, 0)
		return true
	})
	if len(whens) != n || q.Len() != 0 {
		t.Fatalf("fired %d of %d, %d left", len(whens), n, q.Len())
	}
}

func TestTimerQueueOrderAndCancel(t *testing.T) {
	var q timerQueue
	var ids []TimerID
	for i := 0; i < 100; i++ {
		ids = append(ids, q.add(time.Duration(100-i)*time.Millisecond, 0, uint64(i), i))
	}
	for i := 0; i < 100; i += 3 {
		if !q.cancel(ids[i]) {
			t.Fatalf("cancel %d failed", i)
		}
		if q.cancel(ids[i]) {
			t.Fatalf("second cancel %d succeeded", i)
		}
	}
	q.epoch = q.epoch.Add(-time.Hour)
	last := 1 << 30
	fired := 0
	q.expire(func(to uint64, msg any) bool {
		i := msg.(int)
		if i%3 == 0 {
			t.Fatalf("cancelled timer %d fired", i)
		}
		if i > last { // larger i = earlier deadline
			t.Fatalf("timer %d fired after %d", i, last)
		}
		last = i
		fired++
		return true
	})
	if fired != 66 {
		t.Fatalf("fired %d, want 66", fired)
	}
	// stale handles after reuse do nothing
	h := q.add(time.Hour, 0, 1, nil)
	if q.cancel(ids[1]) {
		t.Fatal("a fired timer's handle cancelled something")
	}
	if !q.cancel(h) {
		t.Fatal("fresh handle did not cancel")
	}
	if q.cancel(TimerID{id: 1 << 20}) || q.cancel(TimerID{id: -1}) {
		t.Fatal("out-of-range handle cancelled something")
	}
}

func TestTimerQueuePeriodicRearmsAndDiesWithTarget(t *testing.T) {
	var q timerQueue
	q.add(time.Millisecond, time.Millisecond, 7, "tick")
	alive := true
	ticks := 0
	for round := 0; round < 5; round++ {
		q.epoch = q.epoch.Add(-2 * time.Millisecond)
		q.expire(func(uint64, any) bool { ticks++; return alive })
	}
	if ticks != 5 || q.Len() != 1 {
		t.Fatalf("ticks %d, scheduled %d", ticks, q.Len())
	}
	alive = false
	q.epoch = q.epoch.Add(-2 * time.Millisecond)
	q.expire(func(uint64, any) bool { ticks++; return alive })
	if q.Len() != 0 {
		t.Fatal("a periodic timer outlived its target")
	}
}

// BenchmarkTimers: one op = schedule one timer among 100 000 live ones and
// cancel another; then firing due timers, one op = one timer fired.
func BenchmarkTimers(b *testing.B) {
	b.Run("AddCancel/100k", func(b *testing.B) {
		var q timerQueue
		ids := make([]TimerID, 100_000)
		for i := range ids {
			ids[i] = q.add(time.Duration(i)*time.Microsecond+time.Hour, 0, 1, nil)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			k := i % len(ids)
			q.cancel(ids[k])
			ids[k] = q.add(time.Duration(i%1000)*time.Microsecond+time.Hour, 0, 1, nil)
		}
	})
	b.Run("Fire/100k", func(b *testing.B) {
		var q timerQueue
		fire := func(uint64, any) bool { return true }
		b.ReportAllocs()
		for done := 0; done < b.N; {
			b.StopTimer()
			n := min(100_000, b.N-done)
			for i := 0; i < n; i++ {
				q.add(time.Duration(i), 0, 1, nil)
			}
			q.epoch = q.epoch.Add(-time.Second)
			b.StartTimer()
			q.expire(fire)
			done += n
		}
	})
}

func TestTimerQueueCancelTo(t *testing.T) {
	var q timerQueue
	for i := 0; i < 50; i++ {
		q.add(time.Duration(i)*time.Millisecond, time.Millisecond, uint64(i%3), i)
	}
	if n := q.cancelTo(1); n != 17 {
		t.Fatalf("cancelled %d, want 17", n)
	}
	q.epoch = q.epoch.Add(-time.Second)
	q.expire(func(to uint64, _ any) bool {
		if to == 1 {
			t.Fatal("a cancelled target's timer fired")
		}
		return false
	})
}
