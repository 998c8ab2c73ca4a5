package shard

import (
	"sync"
	"testing"
)

// OnShard is true on a running shard loop's goroutine only.
func TestOnShard(t *testing.T) {
	if !fastGoid {
		t.Log("goroutine numbers come from stack headers here (slow path)")
	}
	if goid() != stackGoid() {
		t.Fatalf("goid %d, stack header says %d", goid(), stackGoid())
	}
	if OnShard() {
		t.Fatal("the test goroutine is no shard")
	}
	id := enterLoop()
	if !OnShard() {
		t.Fatal("a registered loop goroutine is not seen as a shard")
	}
	var other bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); other = OnShard() }()
	wg.Wait()
	if other {
		t.Fatal("another goroutine is seen as the shard")
	}
	exitLoop(id)
	if OnShard() {
		t.Fatal("a loop that exited is still seen as a shard")
	}
}

// BenchmarkOnShard measures the check blocking calls make (one op = one
// check) while a shard loop runs elsewhere, against reading the goroutine
// number alone.
func BenchmarkOnShard(b *testing.B) {
	done := make(chan struct{})
	ready := make(chan uint64)
	go func() { ready <- enterLoop(); <-done }()
	id := <-ready
	defer func() { close(done); exitLoop(id) }()
	b.Run("goid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			goid()
		}
	})
	b.Run("stack-header", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			stackGoid()
		}
	})
	b.Run("OnShard", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			OnShard()
		}
	})
}
