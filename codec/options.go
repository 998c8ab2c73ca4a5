package codec

import "strings"

// Default frame limits, used when no MaxFrame option is given.
const (
	// DefaultMaxFrame is the MaxFrame of the Delimiter, Fixed, LengthField
	// and Raw framers: 1 MiB.
	DefaultMaxFrame = 1 << 20
	// DefaultMaxLine is the MaxFrame of the Line framer: 64 KiB.
	DefaultMaxLine = 64 << 10
)

// Bounds on LengthField settings; they keep the length arithmetic far from
// integer overflow.
const (
	maxHeaderSetting = 1 << 30 // LengthOffset, Strip, |LengthAdjust|
	maxFrameSetting  = 1 << 62 // MaxFrame values above are treated as this
)

// Option configures a framer. Each constructor documents the options it
// accepts; giving it another one is a configuration error.
type Option func(*config)

// config collects the options given to a constructor. Cold: read once at
// construction.
type config struct {
	max    int   // MaxFrame value, if optMax is set
	offset int   // LengthOffset value
	adjust int   // LengthAdjust value
	strip  int   // Strip value, if optStrip is set
	little bool  // LittleEndian given
	set    uint8 // which options were given (opt* bits)
}

// Option bits in config.set.
const (
	optMax uint8 = 1 << iota
	optLittle
	optOffset
	optAdjust
	optStrip
)

var optNames = [...]string{"MaxFrame", "LittleEndian", "LengthOffset", "LengthAdjust", "Strip"}

// MaxFrame sets the largest frame, in bytes, the framer accepts from Next
// and Append (for LengthField: the frame as returned, after Strip). n must be
// positive. Every framer takes it; the defaults are DefaultMaxFrame and, for
// Line, DefaultMaxLine.
func MaxFrame(n int) Option {
	return func(c *config) { c.max = n; c.set |= optMax }
}

// LittleEndian makes a LengthField framer read and write its length in
// little-endian byte order (the default is big endian).
func LittleEndian() Option {
	return func(c *config) { c.little = true; c.set |= optLittle }
}

// LengthOffset sets the number of bytes that precede the length field in a
// LengthField frame (default 0). Append writes them as zeros unless the frame
// includes them (Strip below n), in which case they come from the payload.
func LengthOffset(n int) Option {
	return func(c *config) { c.offset = n; c.set |= optOffset }
}

// LengthAdjust sets the value added to a LengthField's length value to get
// the number of bytes that follow the field (default 0: the length is the
// payload length). A protocol whose length counts a 4-byte header of its
// own uses LengthAdjust(-4).
func LengthAdjust(n int) Option {
	return func(c *config) { c.adjust = n; c.set |= optAdjust }
}

// Strip sets how many leading bytes of a LengthField frame Next removes
// before returning it (default LengthOffset + size: the whole header).
// Strip(0) returns frames with their header.
func Strip(n int) Option {
	return func(c *config) { c.strip = n; c.set |= optStrip }
}

// newConfig applies opts over the default limit def and checks that only the
// options in allowed were given.
func newConfig(framer string, def int, allowed uint8, opts []Option) (config, error) {
	c := config{max: def}
	for _, o := range opts {
		if o == nil {
			return c, configError("%s: nil Option", framer)
		}
		o(&c)
	}
	if bad := c.set &^ allowed; bad != 0 {
		var names []string
		for i, name := range optNames {
			if bad&(1<<i) != 0 {
				names = append(names, name)
			}
		}
		return c, configError("%s does not take option %s", framer, strings.Join(names, ", "))
	}
	if c.max <= 0 {
		return c, configError("%s: MaxFrame(%d): must be positive", framer, c.max)
	}
	return c, nil
}
