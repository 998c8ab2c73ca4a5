package natsserver

import "errors"

// Errors of Start.
var (
	// ErrBadConfig is wrapped by Start's error for an invalid Listen.
	ErrBadConfig = errors.New("natsserver: invalid config")
	// ErrRunning is returned by Start on a server already running.
	ErrRunning = errors.New("natsserver: already running")
)
