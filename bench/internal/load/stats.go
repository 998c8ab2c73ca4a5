package load

import (
	"sync"
	"sync/atomic"
)

// stats is what the connection goroutines of one run share. The load
// generator runs on one core, so the shared atomic counters cost an
// uncontended atomic add each.
type stats struct {
	msgs      atomic.Uint64 // hot: echoes received, all phases; +1 per message
	_         [56]byte      // keep msgs alone on its cache line
	bad       atomic.Uint64 // cold: echoes that differ from what was sent
	connErrs  atomic.Uint64 // cold: connections ended by an I/O error before stop
	resumed   atomic.Uint64 // RunHandshakes: handshakes that resumed a session
	measuring atomic.Bool   // read per message; written twice a run by Run
	stop      atomic.Bool   // read per message; written once by Run
	errMu     sync.Mutex    // guards firstErr
	firstErr  error         // cold: the first connection error
	hist      Histogram     // hot while measuring: one atomic add per message
}

// fail counts a connection that ended with err, unless the run is stopping
// (then the error is the run closing it).
func (s *stats) fail(err error) {
	if s.stop.Load() {
		return
	}
	s.connErrs.Add(1)
	s.errMu.Lock()
	if s.firstErr == nil {
		s.firstErr = err
	}
	s.errMu.Unlock()
}

// firstError returns the first connection error's text, or "".
func (s *stats) firstError() string {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.firstErr == nil {
		return ""
	}
	return s.firstErr.Error()
}
