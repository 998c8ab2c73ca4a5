package mailbox

import "errors"

// ErrFull is returned when an inbox has no room for a message and the caller
// asked not to wait.
var ErrFull = errors.New("mailbox: inbox full")
