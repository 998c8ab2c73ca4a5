package disruptor

import "errors"

// ErrSize is returned (or, from constructors without an error result, panicked
// with) when a ring size is not a power of two of at least 1.
var ErrSize = errors.New("disruptor: size must be a power of two >= 1")
