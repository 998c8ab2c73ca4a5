package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// wireSay is a registered message with the field kinds messages usually
// have (no floats: decoded values compare with reflect.DeepEqual).
type wireSay struct {
	Room string
	Text string
	N    int64
	Blob []byte
	Tags []string
	OK   bool
}

// wireEmpty is a registered message without fields.
type wireEmpty struct{}

// wireUnregistered is never registered.
type wireUnregistered struct{ X int }

// wireSerializer builds the serializer the way New does: the built-in
// tagged types first, then the application's.
func wireSerializer(tb testing.TB) *codec.MsgpackSerializer {
	tb.Helper()
	return codec.NewMsgpackSerializer(codec.MustRegistry(
		codec.Tagged("shoal.bytes", []byte(nil)),
		codec.Tagged("shoal.string", ""),
		codec.Tagged("shoal.text", codec.Text(nil)),
		wireSay{}, &wireEmpty{},
	))
}

// wireForms are the forms wireSerializer registers its types in: what a
// decoded message is, whatever form was sent.
var wireForms = map[reflect.Type]bool{
	reflect.TypeFor[[]byte](): true, reflect.TypeFor[string](): true, reflect.TypeFor[codec.Text](): true,
	reflect.TypeFor[wireSay](): true, reflect.TypeFor[*wireEmpty](): true,
}

// oldByValue is flag bit 1, which said "sent as a value" in earlier builds
// and is refused now.
const oldByValue = 1 << 1

// inWireForm returns msg, a value or pointer of a type wireSerializer
// registers, in its registered form: what decoding its encoding yields.
func inWireForm(tb testing.TB, msg any) any {
	if msg == nil {
		return nil
	}
	v := reflect.ValueOf(msg)
	switch t := v.Type(); {
	case wireForms[t]:
		return msg
	case t.Kind() == reflect.Pointer && wireForms[t.Elem()]:
		return v.Elem().Interface()
	case wireForms[reflect.PointerTo(t)]:
		p := reflect.New(t)
		p.Elem().Set(v)
		return p.Interface()
	}
	tb.Fatalf("%T is not registered", msg)
	return nil
}

var wireKinds = []actor.EnvelopeKind{actor.KindMessage, actor.KindRequest, actor.KindResponse, actor.KindPublish, actor.KindBroadcast}

const (
	highTo   = actor.ID(1<<63 | 0x00ff_0000_0000_0001)
	highFrom = actor.ID(^uint64(0))
)

// wireBase returns an envelope of kind with every field its kind carries set
// to something that exercises the encoding (high bits, multi-byte varints).
func wireBase(kind actor.EnvelopeKind) actor.Envelope {
	e := actor.Envelope{Kind: kind, Node: 3, To: highTo, From: highFrom}
	switch kind {
	case actor.KindRequest:
		e.Request, e.AskNode = actor.RequestID(^uint64(0)), actor.MaxNode
	case actor.KindResponse:
		e.Request = 1 << 40
	case actor.KindPublish, actor.KindBroadcast:
		e.Group = "room/42"
	}
	return e
}

// wireWant is what decoding the wire form of e yields into an envelope whose
// Node was node: Node untouched, the message in its registered form, an
// error other than the two sentinels turned into its (cut) text.
func wireWant(tb testing.TB, e actor.Envelope, node int) actor.Envelope {
	e.Node = node
	e.Msg = inWireForm(tb, e.Msg)
	switch {
	case e.Err == nil:
	case errors.Is(e.Err, actor.ErrNoActor):
		e.Err = actor.ErrNoActor
	case errors.Is(e.Err, actor.ErrTimeout):
		e.Err = actor.ErrTimeout
	default:
		t := e.Err.Error()
		if len(t) > maxErrText {
			t = t[:maxErrText]
		}
		e.Err = &RemoteError{Text: t}
	}
	return e
}

// requireEnvelope checks got against want (from wireWant): sentinel errors
// by identity, messages by value and by their registered form.
func requireEnvelope(t *testing.T, want, got actor.Envelope) {
	t.Helper()
	if want.Err != nil && !errors.As(want.Err, new(*RemoteError)) {
		require.ErrorIs(t, got.Err, want.Err)
		require.Equal(t, want.Err, got.Err, "a sentinel arrives as itself")
	}
	require.Equal(t, reflect.TypeOf(want.Msg), reflect.TypeOf(got.Msg), "message type: the registered form (value or pointer)")
	if p := reflect.ValueOf(want.Msg); p.Kind() == reflect.Pointer && p.Type().Elem().Size() > 0 {
		// (pointers to zero-size values may all be equal)
		require.NotSame(t, want.Msg, got.Msg, "a pointer arrives as a copy")
	}
	require.True(t, reflect.DeepEqual(want, got), "want %#v\n got %#v", want, got)
}

func TestWireRoundTrip(t *testing.T) {
	ser := wireSerializer(t)
	say := wireSay{Room: "r", Text: "héllo", N: -1 << 40, Blob: []byte{0, 1, 2}, Tags: []string{"a", "b"}, OK: true}
	msgs := []struct {
		name string
		msg  any
	}{
		{"nil", nil},
		{"struct", say},
		{"zero struct", wireSay{}},
		{"pointer to a struct registered as a value", &wireSay{Room: "p", N: 7}},
		{"empty struct pointer", &wireEmpty{}},
		{"empty struct registered as a pointer, sent as a value", wireEmpty{}},
		{"bytes", []byte("raw\x00bytes")},
		{"nil bytes", []byte(nil)},
		{"empty bytes", []byte{}},
		{"empty slices in a struct", wireSay{Blob: []byte{}, Tags: []string{}}},
		{"bytes pointer", &[]byte{9}},
		{"string pointer", new("a string")},
		{"string", "a string"},
		{"empty string", ""},
		{"text", codec.Text("some text")},
	}
	for _, kind := range wireKinds {
		for _, m := range msgs {
			t.Run(fmt.Sprintf("kind=%d/%s", kind, m.name), func(t *testing.T) {
				e := wireBase(kind)
				e.Msg = m.msg
				prefix := []byte("prefix")
				b, err := appendEnvelope(prefix, &e, ser)
				require.NoError(t, err)
				require.Equal(t, "prefix", string(b[:len(prefix)]))
				got := actor.Envelope{Node: 9}
				require.NoError(t, decodeEnvelope(b[len(prefix):], &got, ser))
				requireEnvelope(t, wireWant(t, e, 9), got)
			})
		}
	}
}

func TestWireRoundTripErrors(t *testing.T) {
	ser := wireSerializer(t)
	long := strings.Repeat("x", maxErrText) + "cut off"
	errs := []struct {
		name string
		err  error
	}{
		{"no actor", actor.ErrNoActor},
		{"timeout", actor.ErrTimeout},
		{"wrapped no actor", fmt.Errorf("asking: %w", actor.ErrNoActor)},
		{"wrapped timeout", fmt.Errorf("asking: %w", actor.ErrTimeout)},
		{"other", errors.New("the actor said no")},
		{"empty text", errors.New("")},
		{"text at the limit", errors.New(long[:maxErrText])},
		{"text over the limit", errors.New(long)},
		{"remote error", &RemoteError{Text: "from afar"}},
	}
	for _, kind := range []actor.EnvelopeKind{actor.KindResponse, actor.KindMessage, actor.KindPublish} {
		for _, c := range errs {
			for _, msg := range []any{nil, wireSay{Room: "with"}} {
				t.Run(fmt.Sprintf("kind=%d/%s/msg=%v", kind, c.name, msg != nil), func(t *testing.T) {
					e := wireBase(kind)
					e.Err, e.Msg = c.err, msg
					b, err := appendEnvelope(nil, &e, ser)
					require.NoError(t, err)
					var got actor.Envelope
					require.NoError(t, decodeEnvelope(b, &got, ser))
					want := wireWant(t, e, 0)
					requireEnvelope(t, want, got)
					var re *RemoteError
					if errors.As(want.Err, &re) {
						require.ErrorAs(t, got.Err, &re)
						require.LessOrEqual(t, len(re.Text), maxErrText)
						require.Equal(t, re.Text, got.Err.Error())
					}
				})
			}
		}
	}
}

func TestWireRoundTripFields(t *testing.T) {
	ser := wireSerializer(t)
	cases := []struct {
		name string
		e    actor.Envelope
	}{
		{"zero IDs", actor.Envelope{Kind: actor.KindMessage}},
		{"high IDs", actor.Envelope{Kind: actor.KindMessage, To: highFrom, From: highTo}},
		{"request zero", actor.Envelope{Kind: actor.KindRequest}},
		{"request max", actor.Envelope{Kind: actor.KindRequest, Request: actor.RequestID(^uint64(0)), AskNode: actor.MaxNode}},
		{"request one-byte varints", actor.Envelope{Kind: actor.KindRequest, Request: 127, AskNode: 127}},
		{"request two-byte varints", actor.Envelope{Kind: actor.KindRequest, Request: 128, AskNode: 128}},
		{"response max", actor.Envelope{Kind: actor.KindResponse, Request: actor.RequestID(^uint64(0))}},
		{"publish empty group", actor.Envelope{Kind: actor.KindPublish}},
		{"publish group at the limit", actor.Envelope{Kind: actor.KindPublish, Group: strings.Repeat("g", MaxGroupLen)}},
		{"broadcast group at the limit", actor.Envelope{Kind: actor.KindBroadcast, Group: strings.Repeat("b", MaxGroupLen)}},
		{"broadcast binary group", actor.Envelope{Kind: actor.KindBroadcast, Group: "\x00\xff."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := appendEnvelope(nil, &c.e, ser)
			require.NoError(t, err)
			got := actor.Envelope{Node: -1, Group: "stale", Err: actor.ErrTimeout, Msg: "stale", Request: 5, AskNode: 6}
			require.NoError(t, decodeEnvelope(b, &got, ser))
			requireEnvelope(t, wireWant(t, c.e, -1), got)
		})
	}
}

func TestWireAppendErrors(t *testing.T) {
	ser := wireSerializer(t)
	long := strings.Repeat("g", MaxGroupLen+1)
	cases := []struct {
		name string
		e    actor.Envelope
		want error // nil: any error
	}{
		{"unregistered value", actor.Envelope{Kind: actor.KindMessage, Msg: wireUnregistered{}}, codec.ErrUnsupportedType},
		{"unregistered pointer", actor.Envelope{Kind: actor.KindRequest, Request: 1, Msg: &wireUnregistered{}}, codec.ErrUnsupportedType},
		{"nil pointer of a registered type", actor.Envelope{Kind: actor.KindMessage, Msg: (*wireSay)(nil)}, codec.ErrUnsupportedType},
		{"int", actor.Envelope{Kind: actor.KindPublish, Group: "g", Msg: 5}, codec.ErrUnsupportedType},
		{"unregistered with error", actor.Envelope{Kind: actor.KindResponse, Err: errors.New("e"), Msg: map[string]int{}}, codec.ErrUnsupportedType},
		{"publish group too long", actor.Envelope{Kind: actor.KindPublish, Group: long}, ErrGroupTooLong},
		{"broadcast group too long", actor.Envelope{Kind: actor.KindBroadcast, Group: long, Msg: "m"}, ErrGroupTooLong},
		{"kind 0", actor.Envelope{}, nil},
		{"kind past broadcast", actor.Envelope{Kind: actor.KindBroadcast + 1}, nil},
		{"kind 255", actor.Envelope{Kind: 255, Msg: "m"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]byte, 4, 64)
			copy(dst, "keep")
			got, err := appendEnvelope(dst, &c.e, ser)
			require.Error(t, err)
			if c.want != nil {
				require.ErrorIs(t, err, c.want)
			}
			require.Equal(t, "keep", string(got), "dst keeps its original length and bytes")
		})
	}
}

// wireValid returns valid wire forms, by name: every kind without and with
// a message, errors, groups.
func wireValid(tb testing.TB, ser *codec.MsgpackSerializer) []struct {
	name string
	b    []byte
} {
	tb.Helper()
	var out []struct {
		name string
		b    []byte
	}
	add := func(name string, e actor.Envelope) {
		b, err := appendEnvelope(nil, &e, ser)
		require.NoError(tb, err)
		out = append(out, struct {
			name string
			b    []byte
		}{name, b})
	}
	names := map[actor.EnvelopeKind]string{actor.KindMessage: "message", actor.KindRequest: "request", actor.KindResponse: "response", actor.KindPublish: "publish", actor.KindBroadcast: "broadcast"}
	for _, k := range wireKinds {
		e := wireBase(k)
		add(names[k]+"-bare", e)
		e.Msg = wireSay{Room: "r", Text: "t", Blob: []byte{1}, Tags: []string{"x"}}
		add(names[k]+"-value", e)
		e.Msg = &wireSay{N: 3}
		add(names[k]+"-pointer", e)
	}
	e := wireBase(actor.KindResponse)
	e.Err = actor.ErrNoActor
	add("response-noactor", e)
	e.Err = actor.ErrTimeout
	add("response-timeout", e)
	e.Err = errors.New("remote failure")
	add("response-errtext", e)
	e.Msg = []byte("and a message")
	add("response-errtext-bytes", e)
	add("message-string", actor.Envelope{Kind: actor.KindMessage, To: 1, Msg: "hi"})
	add("broadcast-text", actor.Envelope{Kind: actor.KindBroadcast, Group: "g", Msg: codec.Text("text")})
	add("publish-empty", actor.Envelope{Kind: actor.KindPublish, Group: "g", Msg: &wireEmpty{}})
	return out
}

func TestWireTruncated(t *testing.T) {
	ser := wireSerializer(t)
	for _, v := range wireValid(t, ser) {
		t.Run(v.name, func(t *testing.T) {
			for n := 0; n < len(v.b); n++ {
				p := bytes.Clone(v.b[:n])
				var e actor.Envelope
				err := decodeEnvelope(p, &e, ser)
				require.Error(t, err, "prefix of %d of %d bytes", n, len(v.b))
				requireWireError(t, err)
			}
			var e actor.Envelope
			require.NoError(t, decodeEnvelope(bytes.Clone(v.b), &e, ser))
		})
	}
}

// requireWireError checks err is one decodeEnvelope may return.
func requireWireError(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, codec.ErrMalformed) && !errors.Is(err, codec.ErrUnknownTag) {
		t.Fatalf("error %v (%T) wraps none of cluster.ErrMalformed, codec.ErrMalformed, codec.ErrUnknownTag", err, err)
	}
}

// wireHeader returns the 19-byte header of an envelope.
func wireHeader(version, kind, flags byte) []byte {
	b := []byte{version, kind, flags}
	b = binary.LittleEndian.AppendUint64(b, uint64(highTo))
	return binary.LittleEndian.AppendUint64(b, uint64(highFrom))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func uv(v uint64) []byte { return binary.AppendUvarint(nil, v) }

func TestWireMalformed(t *testing.T) {
	ser := wireSerializer(t)
	say, err := ser.Marshal(nil, wireSay{Room: "r"})
	require.NoError(t, err)
	badVarint := bytes.Repeat([]byte{0xff}, 10) // 10 continuation bytes: overflow
	overflow10 := append(bytes.Repeat([]byte{0xff}, 9), 0x02)
	var (
		msg  = byte(actor.KindMessage)
		req  = byte(actor.KindRequest)
		resp = byte(actor.KindResponse)
		pub  = byte(actor.KindPublish)
		bc   = byte(actor.KindBroadcast)
	)
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"short header", wireHeader(1, msg, 0)[:headerLen-1], ErrMalformed},
		{"version 0", wireHeader(0, msg, 0), ErrMalformed},
		{"version 2", wireHeader(2, msg, 0), ErrMalformed},
		{"version 255", wireHeader(255, msg, 0), ErrMalformed},
		{"kind 0", wireHeader(1, 0, 0), ErrMalformed},
		{"kind 6", wireHeader(1, bc+1, 0), ErrMalformed},
		{"kind 255", wireHeader(1, 255, 0), ErrMalformed},
		{"flag 0x08", wireHeader(1, msg, 0x08), ErrMalformed},
		{"flag 0x80", cat(wireHeader(1, msg, 0x80|flagMsg), say), ErrMalformed},
		{"all flags", cat(wireHeader(1, msg, 0xff), []byte{errNoActor}, say), ErrMalformed},
		{"old by-value flag without message", wireHeader(1, msg, oldByValue), ErrMalformed},
		{"old by-value flag with error, no message", cat(wireHeader(1, resp, oldByValue|flagErr), uv(1), []byte{errNoActor}), ErrMalformed},
		{"old by-value flag with a message", cat(wireHeader(1, msg, oldByValue|flagMsg), say), ErrMalformed},
		{"request id missing", wireHeader(1, req, 0), ErrMalformed},
		{"request ask node missing", cat(wireHeader(1, req, 0), uv(1)), ErrMalformed},
		{"request id 10 continuation bytes", cat(wireHeader(1, req, 0), badVarint, []byte{1, 1}), ErrMalformed},
		{"request id 11 continuation bytes", cat(wireHeader(1, req, 0), badVarint, []byte{0xff, 0x01, 1}), ErrMalformed},
		{"request id over 64 bits", cat(wireHeader(1, req, 0), overflow10, uv(1)), ErrMalformed},
		{"ask node bad varint", cat(wireHeader(1, req, 0), uv(1), badVarint, []byte{1}), ErrMalformed},
		{"ask node over MaxNode", cat(wireHeader(1, req, 0), uv(1), uv(actor.MaxNode+1)), ErrMalformed},
		{"ask node max uint64", cat(wireHeader(1, req, 0), uv(1), uv(^uint64(0))), ErrMalformed},
		{"response id bad varint", cat(wireHeader(1, resp, 0), badVarint, []byte{1}), ErrMalformed},
		{"group length missing", wireHeader(1, pub, 0), ErrMalformed},
		{"group length bad varint", cat(wireHeader(1, pub, 0), badVarint, []byte{1}), ErrMalformed},
		{"group beyond buffer", cat(wireHeader(1, pub, 0), uv(5), []byte("ab")), ErrMalformed},
		{"group beyond MaxGroupLen", cat(wireHeader(1, bc, 0), uv(MaxGroupLen+1), bytes.Repeat([]byte("g"), MaxGroupLen+1)), ErrMalformed},
		{"group length huge", cat(wireHeader(1, bc, 0), uv(^uint64(0)), []byte("g")), ErrMalformed},
		{"error code missing", cat(wireHeader(1, resp, flagErr), uv(1)), ErrMalformed},
		{"error code 0", cat(wireHeader(1, resp, flagErr), uv(1), []byte{0}), ErrMalformed},
		{"error code 4", cat(wireHeader(1, resp, flagErr), uv(1), []byte{4}), ErrMalformed},
		{"error code 255 with message", cat(wireHeader(1, resp, flagErr|flagMsg), uv(1), []byte{255}, say), ErrMalformed},
		{"error text length missing", cat(wireHeader(1, resp, flagErr), uv(1), []byte{errText}), ErrMalformed},
		{"error text length bad varint", cat(wireHeader(1, resp, flagErr), uv(1), []byte{errText}, badVarint, []byte{1}), ErrMalformed},
		{"error text beyond buffer", cat(wireHeader(1, resp, flagErr), uv(1), []byte{errText}, uv(10), []byte("short")), ErrMalformed},
		{"error text too long", cat(wireHeader(1, resp, flagErr), uv(1), []byte{errText}, uv(maxErrText+1), bytes.Repeat([]byte("e"), maxErrText+1)), ErrMalformed},
		{"trailing after message-less message", cat(wireHeader(1, msg, 0), []byte{0}), ErrMalformed},
		{"trailing after message-less request", cat(wireHeader(1, req, 0), uv(1), uv(2), []byte("x")), ErrMalformed},
		{"trailing after message-less response", cat(wireHeader(1, resp, flagErr), uv(1), []byte{errTimeout, 0}), ErrMalformed},
		{"trailing after message-less publish", cat(wireHeader(1, pub, 0), uv(1), []byte("gx")), ErrMalformed},
		{"trailing after message-less broadcast", cat(wireHeader(1, bc, 0), uv(0), say), ErrMalformed},
		{"message flag, no message", wireHeader(1, msg, flagMsg), codec.ErrMalformed},
		{"message not msgpack", cat(wireHeader(1, msg, flagMsg), []byte{0xc1}), codec.ErrMalformed},
		{"message truncated", cat(wireHeader(1, msg, flagMsg), say[:len(say)-1]), codec.ErrMalformed},
		{"trailing after message", cat(wireHeader(1, msg, flagMsg), say, []byte{0xc0}), codec.ErrMalformed},
		{"message of unknown tag", cat(wireHeader(1, msg, flagMsg), []byte{0x92, 0xa4, 'N', 'o', 'p', 'e', 0xc0}), codec.ErrUnknownTag},
		{"message body of the wrong type", cat(wireHeader(1, msg, flagMsg), []byte{0x92, 0xa7}, []byte("wireSay"), []byte{0xa1, 'x'}), codec.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := actor.Envelope{Node: 4}
			err := decodeEnvelope(c.b, &e, ser)
			require.ErrorIs(t, err, c.want)
			require.Equal(t, 4, e.Node, "Node is not on the wire")
		})
	}
}

func TestWireDecodeDoesNotAlias(t *testing.T) {
	ser := wireSerializer(t)
	cases := []struct {
		name string
		e    actor.Envelope
	}{
		{"group and bytes", actor.Envelope{Kind: actor.KindPublish, Group: "the group", Msg: []byte("payload bytes")}},
		{"group and string", actor.Envelope{Kind: actor.KindBroadcast, Group: "g2", Msg: "payload string"}},
		{"group and text", actor.Envelope{Kind: actor.KindBroadcast, Group: "g3", Msg: codec.Text("payload text")}},
		{"error text and struct", actor.Envelope{Kind: actor.KindResponse, Err: errors.New("error text"), Msg: wireSay{Room: "room", Text: "text", Blob: []byte("blob"), Tags: []string{"tag"}}}},
		{"error text and pointer", actor.Envelope{Kind: actor.KindResponse, Err: errors.New("error text"), Msg: &wireSay{Room: "room", Blob: []byte("blob")}}},
		{"bytes pointer", actor.Envelope{Kind: actor.KindMessage, Msg: &[]byte{1, 2, 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := appendEnvelope(nil, &c.e, ser)
			require.NoError(t, err)
			var got actor.Envelope
			require.NoError(t, decodeEnvelope(b, &got, ser))
			for i := range b {
				b[i] = 0xaa
			}
			requireEnvelope(t, wireWant(t, c.e, 0), got)
		})
	}
}

func TestWireAllocs(t *testing.T) {
	ser := wireSerializer(t)
	cases := []struct {
		name string
		e    actor.Envelope
	}{
		{"message-less response", actor.Envelope{Kind: actor.KindResponse, To: 1, Request: 9, Err: actor.ErrTimeout}},
		{"small struct value", actor.Envelope{Kind: actor.KindMessage, To: 1, From: 2, Msg: wireSay{Room: "r", Text: "hi"}}},
		{"small struct pointer", actor.Envelope{Kind: actor.KindRequest, To: 1, From: 2, Request: 3, Msg: &wireSay{Room: "r", Text: "hi"}}},
		{"bytes", actor.Envelope{Kind: actor.KindPublish, Group: "g", Msg: []byte("hi")}},
	}
	for _, c := range cases {
		dst := make([]byte, 0, 256)
		appendAllocs := testing.AllocsPerRun(200, func() {
			var err error
			if dst, err = appendEnvelope(dst[:0], &c.e, ser); err != nil {
				t.Fatal(err)
			}
		})
		var e actor.Envelope
		decodeAllocs := testing.AllocsPerRun(200, func() {
			if err := decodeEnvelope(dst, &e, ser); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%-22s appendEnvelope %.1f allocs, decodeEnvelope %.1f allocs", c.name, appendAllocs, decodeAllocs)
	}
}

// Benchmarks: one op = one envelope. "baseline" is the codec's Marshal or
// Unmarshal of the same message alone, so the envelope's cost is the
// difference.
var wireBenchMsgs = []struct {
	name string
	e    actor.Envelope
}{
	{"response-nomsg", actor.Envelope{Kind: actor.KindResponse, To: 1, Request: 9, Err: actor.ErrTimeout}},
	{"struct-value", actor.Envelope{Kind: actor.KindMessage, To: 1, From: 2, Msg: wireSay{Room: "r", Text: "hi"}}},
	{"struct-pointer", actor.Envelope{Kind: actor.KindRequest, To: 1, From: 2, Request: 3, Msg: &wireSay{Room: "r", Text: "hi"}}},
	{"bytes-publish", actor.Envelope{Kind: actor.KindPublish, Group: "room", Msg: []byte("hi")}},
}

func BenchmarkAppendEnvelope(b *testing.B) {
	ser := wireSerializer(b)
	for _, c := range wireBenchMsgs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			dst := make([]byte, 0, 256)
			for b.Loop() {
				dst, _ = appendEnvelope(dst[:0], &c.e, ser)
			}
		})
		if c.e.Msg == nil {
			continue
		}
		b.Run(c.name+"/baseline", func(b *testing.B) {
			b.ReportAllocs()
			dst := make([]byte, 0, 256)
			for b.Loop() {
				dst, _ = ser.Marshal(dst[:0], c.e.Msg)
			}
		})
	}
}

func BenchmarkDecodeEnvelope(b *testing.B) {
	ser := wireSerializer(b)
	for _, c := range wireBenchMsgs {
		wire, err := appendEnvelope(nil, &c.e, ser)
		require.NoError(b, err)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var e actor.Envelope
			for b.Loop() {
				if err := decodeEnvelope(wire, &e, ser); err != nil {
					b.Fatal(err)
				}
			}
		})
		if c.e.Msg == nil {
			continue
		}
		frame, err := ser.Marshal(nil, c.e.Msg)
		require.NoError(b, err)
		b.Run(c.name+"/baseline", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ser.Unmarshal(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestWireAppendAcceptsOnlyDecodable checks that appendEnvelope refuses what
// decodeEnvelope would reject, so a bad envelope fails at the sender (an
// error from Send) instead of being counted as malformed by every receiver.
func TestWireAppendAcceptsOnlyDecodable(t *testing.T) {
	ser := wireSerializer(t)
	for _, askNode := range []int{-1, actor.MaxNode + 1} {
		t.Run(fmt.Sprintf("AskNode=%d", askNode), func(t *testing.T) {
			e := actor.Envelope{Kind: actor.KindRequest, To: 1, Request: 1, AskNode: askNode}
			b, err := appendEnvelope(nil, &e, ser)
			if err == nil {
				var got actor.Envelope
				derr := decodeEnvelope(b, &got, ser)
				t.Errorf("appendEnvelope accepted AskNode %d, which decodeEnvelope rejects: %v", askNode, derr)
			}
		})
	}
}

// The store's own check of group names, keys and names refuses what
// actor's does: C0, DEL and C1 control characters among them (a name that
// passed here and not there, or the reverse, would be stored under one
// rule and refused under the other).
func TestCheckTextRefusesControlCharacters(t *testing.T) {
	for _, s := range []string{"a\x00b", "a\nb", "a\x7fb", "a\u0085b", "a\u009fb", "", "\xff"} {
		if checkText(s, 64) == "" {
			t.Errorf("checkText(%q) passed", s)
		}
	}
	for _, s := range []string{"room:1", "salle é", "部屋", "a b"} {
		if e := checkText(s, 64); e != "" {
			t.Errorf("checkText(%q): %s", s, e)
		}
	}
	if checkText("abcd", 3) == "" {
		t.Error("a text longer than max passed")
	}
}

// A write nobody waits for (presence, a name's release) is tried again
// while it fails in a way that passes (a JetStream election), in order,
// and given up on a failure for good or after JetStreamWait.
func TestPersistTriesAgainWhileTheFailurePasses(t *testing.T) {
	s := &groupStore{n: &Node{cfg: Config{JetStreamWait: 3 * time.Second}}, ctx: context.Background()}
	tries := 0
	err := s.persist(func(context.Context) error {
		if tries++; tries < 3 {
			return nats.ErrNoResponders
		}
		return nil
	})
	if err != nil || tries != 3 {
		t.Fatalf("err %v after %d tries, want success at the third", err, tries)
	}
	tries = 0
	bad := errors.New("for good")
	if err := s.persist(func(context.Context) error { tries++; return bad }); err != bad || tries != 1 {
		t.Fatalf("a failure for good: err %v after %d tries", err, tries)
	}
	s.n.cfg.JetStreamWait = 300 * time.Millisecond
	tries = 0
	if err := s.persist(func(context.Context) error { tries++; return nats.ErrTimeout }); !errors.Is(err, nats.ErrTimeout) || tries < 2 {
		t.Fatalf("past JetStreamWait: err %v after %d tries", err, tries)
	}
}
