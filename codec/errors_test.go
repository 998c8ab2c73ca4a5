package codec

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorsMatchThroughWrapping(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		target error
		text   string
	}{
		{name: "frame", err: &FrameError{Limit: 4, Got: 9}, target: ErrFrameTooLarge,
			text: "codec: frame too large: 9 bytes, limit 4"},
		{name: "truncated", err: &TruncatedError{Pending: 3}, target: ErrTruncated,
			text: "codec: stream ended mid-frame with 3 bytes pending"},
		{name: "type", err: &TypeError{Codec: "bytes"}, target: ErrUnsupportedType,
			text: "codec: bytes serializer cannot marshal <nil>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wrapped := fmt.Errorf("conn 7: %w", tc.err)
			if !errors.Is(wrapped, tc.target) {
				t.Fatalf("%v does not match %v", wrapped, tc.target)
			}
			if errors.Is(wrapped, ErrBadLength) {
				t.Fatalf("%v matches an unrelated sentinel", wrapped)
			}
			if tc.err.Error() != tc.text {
				t.Fatalf("text %q, want %q", tc.err.Error(), tc.text)
			}
		})
	}
	var fe *FrameError
	_, _, err := LengthField(1, MaxFrame(2)).Next([]byte{3})
	if !errors.As(fmt.Errorf("wrap: %w", err), &fe) || fe.Limit != 2 || fe.Got != 3 {
		t.Fatalf("errors.As FrameError: %v", err)
	}
}
