package reactor

import "errors"

// ErrClosed is returned by a Poller or Waker method called after Close.
var ErrClosed = errors.New("reactor: closed")

// ErrNoReadySpace is returned by Poller.Wait when the ready slice is empty.
var ErrNoReadySpace = errors.New("reactor: empty ready slice")

// ErrUnknownNetwork is returned by Listen for a network other than tcp, tcp4,
// tcp6 or unix.
var ErrUnknownNetwork = errors.New("reactor: unknown network")
