package mailbox

import "errors"

// ErrInboxFull is returned by PutWait when the inbox stayed full for as
// long as the caller was willing to wait.
var ErrInboxFull = errors.New("mailbox: inbox full")

// ErrClosed is returned by puts into an inbox whose consumer closed it.
var ErrClosed = errors.New("mailbox: inbox closed")
