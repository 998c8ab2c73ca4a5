package actor

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// ErrBusy is returned by Context.Go when every worker is busy and the queue
// of waiting jobs is full: the shard never waits for a worker.
var ErrBusy = errors.New("actor: worker pool saturated")

// Result is the message Context.Go delivers back to the actor: what the
// function returned, or a *PanicError if it panicked.
type Result struct {
	Value any
	Err   error
}

// job is one Context.Go call.
type job struct {
	f  func() (any, error)
	to ID
}

// workers is a bounded pool of goroutines for blocking work. Jobs wait in a
// bounded queue; a full queue makes Go fail fast.
type workers struct {
	sys  *System
	jobs chan job
	wg   sync.WaitGroup
	once sync.Once
	size int
}

func (w *workers) start() {
	for i := 0; i < w.size; i++ {
		w.wg.Add(1)
		go w.run()
	}
}

func (w *workers) run() {
	defer w.wg.Done()
	for j := range w.jobs {
		v, err := call(j.f)
		// The actor may have stopped meanwhile: then this is a dead letter.
		_ = w.sys.g.Send(uint64(j.to), 0, Result{Value: v, Err: err})
	}
}

func call(f func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return f()
}

// stop lets queued jobs finish and waits for the workers.
func (w *workers) stop() {
	w.once.Do(func() { close(w.jobs) })
	w.wg.Wait()
}

// Go runs f on the system's worker pool, off the shard, and delivers its
// return values to this actor as a Result message. It fails at once with
// ErrBusy when the pool's queue is full; it never blocks the shard.
func (c *Context) Go(f func() (any, error)) error {
	if f == nil {
		return fmt.Errorf("actor: Go with a nil function")
	}
	select {
	case c.sys.workers.jobs <- job{f: f, to: c.self}:
		return nil
	default:
		return ErrBusy
	}
}
