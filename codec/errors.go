package codec

import (
	"errors"
	"fmt"
	"reflect"
)

var (
	// ErrFrameTooLarge is matched (errors.Is) by every *FrameError: a frame, or
	// a payload given to Append, exceeds the framer's MaxFrame.
	ErrFrameTooLarge = errors.New("codec: frame too large")
	// ErrTruncated reports that the stream ended in the middle of a frame.
	// The runtime returns it (as a *TruncatedError) when the peer closes with
	// a partial frame buffered.
	ErrTruncated = errors.New("codec: stream ended mid-frame")
	// ErrUnsupportedType is matched by every *TypeError: Marshal was given a
	// message type the serializer does not handle.
	ErrUnsupportedType = errors.New("codec: unsupported message type")
	// ErrBadLength reports a length field whose value, after LengthAdjust, is
	// negative or ends before the bytes Strip removes. The stream is broken.
	ErrBadLength = errors.New("codec: invalid length field")
	// ErrPayloadSize is returned by Append for a payload whose size the
	// framer cannot frame other than by being too large: not exactly the size
	// of a Fixed framer, or too short to hold the part of a length-field
	// header that the frame includes.
	ErrPayloadSize = errors.New("codec: payload size not valid for this framer")
	// ErrDelimiterInPayload is returned by Append of a Line or Delimiter
	// framer when the payload would not read back as one frame: it contains
	// the delimiter, overlaps it at its end, or (Line) ends in '\r'.
	ErrDelimiterInPayload = errors.New("codec: payload contains the frame delimiter")
	// ErrInvalidConfig is wrapped by the errors the NewX constructors
	// return; their panicking forms X panic with the same error.
	ErrInvalidConfig = errors.New("codec: invalid configuration")
	// ErrUnknownTag is matched by every *UnknownTagError: a frame names a
	// message type the serializer's Registry does not hold.
	ErrUnknownTag = errors.New("codec: unknown message tag")
	// ErrMalformed is matched by every *MalformedError: a frame is not a
	// valid encoding of a registered message.
	ErrMalformed = errors.New("codec: malformed message")
)

// FrameError reports a frame larger than the framer allows. It matches
// ErrFrameTooLarge.
type FrameError struct {
	// Limit is the framer's maximum frame size in bytes.
	Limit int
	// Got is the size of the offending frame. For delimiter framers it is a
	// lower bound (bytes scanned without finding the delimiter); for a
	// length field whose value does not fit an int it is math.MaxInt.
	Got int
}

// Error implements error.
func (e *FrameError) Error() string {
	return fmt.Sprintf("codec: frame too large: %d bytes, limit %d", e.Got, e.Limit)
}

// Is reports whether target is ErrFrameTooLarge.
func (e *FrameError) Is(target error) bool { return target == ErrFrameTooLarge }

// TruncatedError reports a stream that ended with Pending bytes of an
// incomplete frame buffered. It matches ErrTruncated.
type TruncatedError struct {
	// Pending is the number of unconsumed bytes left when the stream ended.
	Pending int
}

// Error implements error.
func (e *TruncatedError) Error() string {
	return fmt.Sprintf("codec: stream ended mid-frame with %d bytes pending", e.Pending)
}

// Is reports whether target is ErrTruncated.
func (e *TruncatedError) Is(target error) bool { return target == ErrTruncated }

// TypeError reports a message type a serializer cannot marshal. It matches
// ErrUnsupportedType.
type TypeError struct {
	// Type is the dynamic type of the rejected message (nil for a nil
	// interface).
	Type reflect.Type
	// Codec names the serializer that rejected it, e.g. "bytes".
	Codec string
}

// Error implements error.
func (e *TypeError) Error() string {
	return fmt.Sprintf("codec: %s serializer cannot marshal %v", e.Codec, e.Type)
}

// Is reports whether target is ErrUnsupportedType.
func (e *TypeError) Is(target error) bool { return target == ErrUnsupportedType }

// UnknownTagError reports a frame whose tag no registered type has. It
// matches ErrUnknownTag.
type UnknownTagError struct {
	// Tag is the tag read from the frame (a copy), cut to maxErrTag bytes.
	Tag string
	// Codec names the serializer: "msgpack" or "json".
	Codec string
}

// Error implements error.
func (e *UnknownTagError) Error() string {
	return fmt.Sprintf("codec: %s: unknown message tag %q", e.Codec, e.Tag)
}

// Is reports whether target is ErrUnknownTag.
func (e *UnknownTagError) Is(target error) bool { return target == ErrUnknownTag }

// MalformedError reports a frame that is not a valid encoding of a
// registered message: bad syntax, truncated, trailing bytes, nested too
// deeply, a declared length larger than the frame, or a body that does not
// fit the registered type. It matches ErrMalformed and unwraps to the
// underlying decoder's error, if any.
type MalformedError struct {
	// Codec names the serializer: "msgpack" or "json".
	Codec string
	// Tag is the message's tag if the envelope was read, else "".
	Tag string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *MalformedError) Error() string {
	if e.Tag == "" {
		return fmt.Sprintf("codec: %s: malformed message: %v", e.Codec, e.Err)
	}
	return fmt.Sprintf("codec: %s: malformed %q message: %v", e.Codec, e.Tag, e.Err)
}

// Is reports whether target is ErrMalformed.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// Unwrap returns the cause.
func (e *MalformedError) Unwrap() error { return e.Err }

// maxErrTag bounds the wire tag an UnknownTagError keeps, so a hostile peer
// cannot make an error value hold a large part of its frame.
const maxErrTag = 64

// unknownTag builds the error for an unregistered wire tag (copying it).
func unknownTag(codec string, tag []byte) error {
	if len(tag) > maxErrTag {
		tag = tag[:maxErrTag]
	}
	return &UnknownTagError{Tag: string(tag), Codec: codec}
}

// tooLarge builds the error for a frame of got bytes over limit. It is the
// only allocation on the decode path, and only on a stream that is broken.
func tooLarge(limit, got int) error { return &FrameError{Limit: limit, Got: got} }

// configError builds the error (or panic value) for an invalid configuration.
func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// must panics with err if it is not nil, and otherwise returns v: the
// panicking constructor X is must(NewX(...)).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
