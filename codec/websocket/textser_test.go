package websocket

import (
	"testing"

	"github.com/shoalrt/shoal/codec"
)

// wrapped is a serializer around the JSON one, as a user writes to adapt
// it (turning decode errors into messages, say).
type wrapped struct{ codec.Serializer }

type textWrapped struct{ wrapped }

func (textWrapped) TextFrames() bool { return true }

type notText struct{ wrapped }

func (notText) TextFrames() bool { return false }

// A serializer of New's sends text frames when it is the JSON serializer
// or a TextSerializer saying so, binary frames otherwise.
func TestNewTextSerializer(t *testing.T) {
	js := codec.NewJSONSerializer(codec.MustRegistry(codec.Tagged("a", struct{ A int }{})))
	for _, tc := range []struct {
		name string
		s    codec.Serializer
		want byte
	}{
		{"json", js, opText},
		{"wrapper", wrapped{js}, opBinary},
		{"text wrapper", textWrapped{wrapped{js}}, opText},
		{"TextFrames false", notText{wrapped{js}}, opBinary},
	} {
		c, err := New(Options{}, tc.s)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.opcode(struct{ A int }{1}); got != tc.want {
			t.Errorf("%s: opcode %d, want %d", tc.name, got, tc.want)
		}
	}
}
