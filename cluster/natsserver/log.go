package natsserver

import (
	"fmt"
	"sync"
)

// fatalLog is the embedded server's logger: it drops everything but the
// first fatal error, which the server only logs (with no logger of its
// own, silently) before giving up on its Start. Start reports it. Its
// methods are called from any of the server's goroutines.
type fatalLog struct {
	mu    sync.Mutex
	first string // the first Fatalf's message, "" if none
}

// fatal returns the first fatal error logged, "" if none.
func (l *fatalLog) fatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first
}

// Fatalf records the first fatal error.
func (l *fatalLog) Fatalf(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.first == "" {
		l.first = fmt.Sprintf(format, v...)
	}
}

// Noticef drops a notice.
func (*fatalLog) Noticef(string, ...any) {}

// Warnf drops a warning.
func (*fatalLog) Warnf(string, ...any) {}

// Errorf drops an error the server carries on after.
func (*fatalLog) Errorf(string, ...any) {}

// Debugf drops a debug line (the server is told not to make them).
func (*fatalLog) Debugf(string, ...any) {}

// Tracef drops a trace line (the server is told not to make them).
func (*fatalLog) Tracef(string, ...any) {}
