package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// The wire form of an actor.Envelope, one NATS message each (the subject
// says which node or group it is for):
//
//	byte 0     version (1)
//	byte 1     kind (actor.KindMessage .. actor.KindBroadcast)
//	byte 2     flags: hasMsg (bit 0) | hasErr (bit 2); other bits must be 0
//	8 bytes    To, little endian
//	8 bytes    From, little endian
//	uvarint    Request              (request and response only)
//	uvarint    AskNode              (request only)
//	uvarint n, n bytes  Group       (publish and broadcast only; n <= MaxGroupLen)
//	byte code, [uvarint n, n bytes] Err (if hasErr: 1 ErrNoActor, 2 ErrTimeout,
//	                                3 any other error with its text, n <= maxErrText)
//	the rest   Msg as msgpack [tag, body] (if hasMsg)
//
// The receiver hands the actor Msg in the form its type was registered in
// (Config.Messages): a Join for Join{}, a *Join for &Join{}, whichever the
// sender sent, as on every codec. (Bit 1 said "sent as a value" in earlier
// builds, which delivered what was sent; it is refused now.)
const (
	wireVersion = 1

	flagMsg    = 1 << 0
	flagErr    = 1 << 2
	flagsKnown = flagMsg | flagErr

	errNoActor = 1
	errTimeout = 2
	errText    = 3

	headerLen  = 3 + 8 + 8
	maxErrText = 4096
)

// MaxGroupLen is the longest group name that can cross nodes, in bytes.
const MaxGroupLen = 1024

// RemoteError is the Response.Err of a request answered with an error on
// another node, other than actor.ErrNoActor and actor.ErrTimeout (which
// arrive as themselves): only its text crosses.
type RemoteError struct{ Text string }

// Error implements error.
func (e *RemoteError) Error() string { return e.Text }

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// appendEnvelope appends the wire form of e to dst, the message encoded with
// ser. On error dst is returned with its original length.
func appendEnvelope(dst []byte, e *actor.Envelope, ser *codec.MsgpackSerializer) ([]byte, error) {
	if e.Kind < actor.KindMessage || e.Kind > actor.KindBroadcast {
		return dst, fmt.Errorf("cluster: envelope of unknown kind %d", e.Kind)
	}
	if (e.Kind == actor.KindPublish || e.Kind == actor.KindBroadcast) && len(e.Group) > MaxGroupLen {
		return dst, ErrGroupTooLong
	}
	if e.Kind == actor.KindRequest && (e.AskNode < 0 || e.AskNode > actor.MaxNode) {
		return dst, fmt.Errorf("cluster: ask node %d out of range 0..%d", e.AskNode, actor.MaxNode)
	}
	n := len(dst)
	var flags byte
	if e.Msg != nil {
		flags |= flagMsg
	}
	if e.Err != nil {
		flags |= flagErr
	}
	dst = append(dst, wireVersion, byte(e.Kind), flags)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(e.To))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(e.From))
	switch e.Kind {
	case actor.KindRequest:
		dst = binary.AppendUvarint(dst, uint64(e.Request))
		dst = binary.AppendUvarint(dst, uint64(e.AskNode))
	case actor.KindResponse:
		dst = binary.AppendUvarint(dst, uint64(e.Request))
	case actor.KindPublish, actor.KindBroadcast:
		dst = binary.AppendUvarint(dst, uint64(len(e.Group)))
		dst = append(dst, e.Group...)
	}
	if e.Err != nil {
		switch {
		case errors.Is(e.Err, actor.ErrNoActor):
			dst = append(dst, errNoActor)
		case errors.Is(e.Err, actor.ErrTimeout):
			dst = append(dst, errTimeout)
		default:
			text := e.Err.Error()
			if len(text) > maxErrText { // cut at a character boundary
				cut := maxErrText
				for cut > 0 && !utf8.RuneStart(text[cut]) {
					cut--
				}
				text = text[:cut]
			}
			dst = append(dst, errText)
			dst = binary.AppendUvarint(dst, uint64(len(text)))
			dst = append(dst, text...)
		}
	}
	if e.Msg != nil {
		var err error
		if dst, err = ser.Marshal(dst, e.Msg); err != nil {
			return dst[:n], err
		}
	}
	return dst, nil
}

// decodeEnvelope parses b, the wire form of an envelope, into e (Node is
// left alone: the subject says it). It never panics and never keeps or
// aliases b.
func decodeEnvelope(b []byte, e *actor.Envelope, ser *codec.MsgpackSerializer) error {
	if len(b) < headerLen {
		return malformed("%d bytes, shorter than the %d-byte header", len(b), headerLen)
	}
	if b[0] != wireVersion {
		return malformed("version %d, want %d", b[0], wireVersion)
	}
	kind, flags := actor.EnvelopeKind(b[1]), b[2]
	if kind < actor.KindMessage || kind > actor.KindBroadcast {
		return malformed("unknown kind %d", kind)
	}
	if flags&^flagsKnown != 0 {
		return malformed("unknown flags %#x", flags)
	}
	*e = actor.Envelope{
		Kind: kind,
		Node: e.Node,
		To:   actor.ID(binary.LittleEndian.Uint64(b[3:])),
		From: actor.ID(binary.LittleEndian.Uint64(b[11:])),
	}
	p := b[headerLen:]
	uvarint := func(what string) (uint64, error) {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, malformed("bad %s varint", what)
		}
		p = p[n:]
		return v, nil
	}
	text := func(what string, max int) (string, error) {
		n, k := binary.Uvarint(p)
		if k <= 0 {
			return "", malformed("bad %s length varint", what)
		}
		p = p[k:]
		if n > uint64(max) || n > uint64(len(p)) {
			return "", malformed("%s of %d bytes (at most %d, %d left)", what, n, max, len(p))
		}
		s := string(p[:n])
		p = p[n:]
		return s, nil
	}
	switch kind {
	case actor.KindRequest, actor.KindResponse:
		v, err := uvarint("request")
		if err != nil {
			return err
		}
		e.Request = actor.RequestID(v)
		if kind == actor.KindRequest {
			if v, err = uvarint("ask node"); err != nil {
				return err
			}
			if v > actor.MaxNode {
				return malformed("ask node %d out of range", v)
			}
			e.AskNode = int(v)
		}
	case actor.KindPublish, actor.KindBroadcast:
		g, err := text("group", MaxGroupLen)
		if err != nil {
			return err
		}
		e.Group = g
	}
	if flags&flagErr != 0 {
		if len(p) == 0 {
			return malformed("missing error code")
		}
		code := p[0]
		p = p[1:]
		switch code {
		case errNoActor:
			e.Err = actor.ErrNoActor
		case errTimeout:
			e.Err = actor.ErrTimeout
		case errText:
			t, err := text("error text", maxErrText)
			if err != nil {
				return err
			}
			e.Err = &RemoteError{Text: t}
		default:
			return malformed("unknown error code %d", code)
		}
	}
	if flags&flagMsg == 0 {
		if len(p) != 0 {
			return malformed("%d trailing bytes", len(p))
		}
		return nil
	}
	msg, err := ser.Unmarshal(p) // in its registered form
	if err != nil {
		return err
	}
	e.Msg = msg
	return nil
}
