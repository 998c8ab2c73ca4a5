package actor

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// JobID tells the results of an actor's Context.Go calls apart: each call
// returns a new one, and its Result carries it.
type JobID uint64

// Result is the message Context.Go delivers back to the actor: what the
// function returned, or a *PanicError if it panicked.
type Result struct {
	ID    JobID // what the Go call returned
	Value any
	Err   error
}

// job is one Context.Go call.
type job struct {
	f  func() (any, error)
	to ID
	id JobID
}

// workers is a bounded pool of goroutines for blocking work. Jobs wait in a
// bounded queue; a full queue makes Go fail fast.
type workers struct {
	sys  *System
	last atomic.Uint64 // the last JobID given
	jobs chan job
	mu   sync.RWMutex // Go holds it to send; stop, to close jobs
	shut bool         // jobs is closed
	wg   sync.WaitGroup
	once sync.Once
	size int

	lostMu  sync.Mutex // guards lostLog: the workers share it
	lostLog limited    // rate of the records of lost results
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
		if serr := w.sys.set.Send(uint64(j.to), 0, Result{ID: j.id, Value: v, Err: err}); serr != nil {
			w.logLost(j, serr)
		}
	}
}

// logLost writes a record of a result that could not be sent (the system
// stopping, a full inbox), at most one per second for all the workers,
// with the count of those left out.
func (w *workers) logLost(j job, err error) {
	w.lostMu.Lock()
	ok, missed := w.lostLog.allow(time.Now())
	w.lostMu.Unlock()
	if ok {
		w.sys.log().Warn("result of Context.Go lost", "actor", j.to, "job", uint64(j.id), "err", userErr(err), "missed", missed)
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
	w.once.Do(func() {
		w.mu.Lock()
		w.shut = true
		close(w.jobs)
		w.mu.Unlock()
	})
	w.wg.Wait()
}

// Go runs f on the system's worker pool, off the shard, and delivers its
// return values to this actor as a Result message whose ID is the JobID Go
// returned. It fails at once with ErrBusy when the pool's queue is full
// (and with ErrStopped once the system stopped); it never blocks the shard.
func (c *Context) Go(f func() (any, error)) (JobID, error) {
	if f == nil {
		return 0, fmt.Errorf("%w: Go with a nil function", ErrBadOption)
	}
	w := c.sys.workers
	id := JobID(w.last.Add(1))
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.shut { // a Receive still running after Stop gave up waiting for it
		return 0, ErrStopped
	}
	select {
	case w.jobs <- job{f: f, to: c.self, id: id}:
		return id, nil
	default:
		return 0, ErrBusy
	}
}
