package websocket

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/codec"
)

// Join is registered as a value or as a pointer by the register-rule test.
type Join struct{ Room, Name string }

// What you register is what you receive, through the protocol: a client
// stream frames the message (masked, compressed when long enough), a server
// stream takes the frame apart, and the codec decodes its payload as the
// runtime does. Join{} arrives as a Join, &Join{} as a *Join, whichever
// form was written.
func TestRegisteredFormIsReceived(t *testing.T) {
	o := Options{Compression: true, CompressThreshold: 1}
	for _, tc := range []struct {
		name   string
		c      *Codec
		ptr    bool
		isText bool
	}{
		{name: "JSON value", c: JSON(o, Join{}), isText: true},
		{name: "JSON pointer", c: JSON(o, &Join{}), ptr: true, isText: true},
		{name: "msgpack value", c: Msgpack(o, Join{})},
		{name: "msgpack pointer", c: Msgpack(o, &Join{}), ptr: true},
		{name: "New value", c: must(New(o, codec.NewMsgpackSerializer(codec.MustRegistry(Join{}))))},
		{name: "New pointer", c: must(New(o, codec.NewJSONSerializer(codec.MustRegistry(&Join{})))), ptr: true, isText: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := pair(t, tc.c, tc.c)
			join := Join{Room: "lobby", Name: "ann"}
			var want any = join
			if tc.ptr {
				want = &join
			}
			for _, sent := range []any{join, &join} {
				payload, err := tc.c.Marshal(nil, sent)
				require.NoError(t, err)
				wire, err := cli.AppendMessage(nil, payload, sent)
				require.NoError(t, err)
				require.NotZero(t, wire[0]&0x40, "the frame is compressed (RSV1)")
				evs, rest := feed(srv, wire)
				require.Empty(t, rest)
				require.Len(t, evs, 1, "%+v", evs)
				require.Equal(t, codec.EventMessage, evs[0].Kind)
				require.Equal(t, tc.isText, evs[0].Text)
				got, err := tc.c.Unmarshal([]byte(evs[0].Frame))
				require.NoError(t, err)
				require.Equal(t, reflect.TypeOf(want), reflect.TypeOf(got), "sent %T", sent)
				require.Equal(t, want, got)
			}
		})
	}
}
