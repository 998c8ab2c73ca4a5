package mailbox

import "errors"

// ErrFull is returned when an inbox has no room for a message and the caller
// asked not to wait.
var ErrFull = errors.New("mailbox: inbox full")

// ErrClosed is returned by puts into an inbox whose consumer closed it.
var ErrClosed = errors.New("mailbox: inbox closed")
