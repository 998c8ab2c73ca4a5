package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shoalrt/shoal/codec"
)

// FuzzTextLine: whatever a person types on the TCP listener decodes into a
// message, never an error or a panic: a command, a line to say (exactly
// what was typed, less a leading "/" of "//"), or a bad the member answers
// with an error; and every answer the member may write about it encodes
// into one line (no newline: a nick, room or text cannot break the text
// protocol's framing).
func FuzzTextLine(f *testing.F) {
	for _, s := range []string{"hello", "/nick ann", "/join lobby", "/leave", "/who", "/who games", "/rooms",
		"/msg bob hi there", "/help", "/quit", "//slash", "/frob x", "", "   ", "/nick a b", "/msg", "/JOIN Lobby"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		var ts textSerializer
		msg, err := ts.Unmarshal(frame)
		if err != nil {
			t.Fatalf("%q: %v", frame, err)
		}
		line := string(frame)
		switch m := msg.(type) {
		case Say:
			want := line
			if strings.HasPrefix(line, "//") {
				want = line[1:]
			}
			if m.Text != want {
				t.Fatalf("%q said as %q", frame, m.Text)
			}
		case Nick, Join, Leave, Who, Rooms, Msg, Help, Quit, notice, bad:
		default:
			t.Fatalf("%q decoded to a %T", frame, msg)
		}
		// What the server writes back holds only what passed its checks,
		// but the text codec must never write a line break in any case.
		text := line
		if !utf8.ValidString(text) || checkText(text) != "" {
			return
		}
		for _, out := range []any{Line{Room: "lobby", From: "ann", Text: text}, Private{From: "ann", Text: text},
			Sent{To: "bob", Text: text}, Error{Text: "x"}, Welcome{Nick: "ann"}} {
			b, err := ts.Marshal(nil, out)
			if err != nil {
				t.Fatalf("%T: %v", out, err)
			}
			if strings.ContainsAny(string(b), "\r\n") {
				t.Fatalf("%T of %q encodes a line break: %q", out, text, b)
			}
		}
	})
}

// FuzzWebSocketMessage: whatever a browser sends decodes, through the
// lenient JSON serializer, into a registered message or a bad (answered
// with an error), never an error that would close the connection.
func FuzzWebSocketMessage(f *testing.F) {
	for _, s := range []string{`{"type":"hello","data":{"nick":"ann","session":"0123456789abcdef"}}`,
		`{"type":"join","data":{"room":"lobby","since":"1:2","ref":"j"}}`, `{"type":"join","data":{"since":"x","ref":"j"}}`,
		`{"type":"say","data":{"room":"lobby","text":"hi","key":"1"}}`, `{"type":"frob"}`, `not json`, `{}`, `[]`, `null`,
		`{"type":"say","data":{"text":5,"ref":"r","key":"k"}}`} {
		f.Add([]byte(s))
	}
	l := lenient{codec.NewJSONSerializer(codec.MustRegistry(wire...))}
	f.Fuzz(func(t *testing.T, frame []byte) {
		msg, err := l.Unmarshal(frame)
		if err != nil || msg == nil {
			t.Fatalf("%q: %v, %v", frame, msg, err)
		}
	})
}
