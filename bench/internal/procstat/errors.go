package procstat

import "errors"

// ErrMalformed is returned when a /proc file does not have the expected shape.
var ErrMalformed = errors.New("procstat: malformed /proc file")

// ErrNoRSS is returned when neither smaps_rollup nor status names the
// resident set size.
var ErrNoRSS = errors.New("procstat: no resident set size found")
