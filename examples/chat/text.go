package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shoalrt/shoal/codec"
)

// The TCP listener's wire: text lines as a person types and reads them
// (PROTOCOL.md). textSerializer turns a line into the same messages the
// WebSocket listener decodes from JSON, and those the member writes into
// readable lines; the member actor does not know which wire it speaks.

// bad is a line or a message the server cannot act on: the member answers
// it with an error and goes on (a typo is not a reason to disconnect).
// Ref, Key and Room are the message's, when they could be read, for the
// error to carry.
type bad struct{ Text, Ref, Key, Room string }

// notice is a line of information for a person (TCP only: the help, the
// greeting).
type notice struct{ Text string }

// textSerializer is the codec.Serializer of the TCP listener.
type textSerializer struct{}

// usage of every command, for errors and /help.
var usage = []string{
	"/nick NAME        choose (or change) your nick",
	"/join ROOM        enter ROOM (leaving your current room)",
	"/leave            leave your current room",
	"/who [ROOM]       who is in your current room (or in ROOM)",
	"/rooms            the rooms with people in them",
	"/msg NICK TEXT    say TEXT to NICK only",
	"/help             this list",
	"/quit             close the connection",
	"any other line is said to your current room (start it with // to say a line starting with /)",
}

func (textSerializer) Unmarshal(frame []byte) (any, error) {
	line := string(frame) // a copy: frame is the connection's buffer
	if !strings.HasPrefix(line, "/") || strings.HasPrefix(line, "//") {
		if strings.HasPrefix(line, "//") {
			line = line[1:]
		}
		if strings.TrimSpace(line) == "" {
			return notice{}, nil // an empty line: nothing to say
		}
		return Say{Text: line}, nil
	}
	cmd, rest, _ := strings.Cut(line[1:], " ")
	rest = strings.TrimSpace(rest)
	arg := func(name string) (string, bool) {
		if rest == "" || strings.ContainsAny(rest, " \t") {
			return "", false
		}
		return rest, true
	}
	switch strings.ToLower(cmd) {
	case "nick":
		if n, ok := arg("NAME"); ok {
			return Nick{Nick: n}, nil
		}
		return bad{Text: "usage: /nick NAME"}, nil
	case "join":
		if r, ok := arg("ROOM"); ok {
			return Join{Room: r}, nil
		}
		return bad{Text: "usage: /join ROOM"}, nil
	case "leave", "part":
		if rest != "" {
			return bad{Text: "usage: /leave"}, nil
		}
		return Leave{}, nil
	case "who", "names":
		if strings.ContainsAny(rest, " \t") {
			return bad{Text: "usage: /who [ROOM]"}, nil
		}
		return Who{Room: rest}, nil
	case "rooms", "list":
		return Rooms{}, nil
	case "msg":
		to, text, _ := strings.Cut(rest, " ")
		if to == "" || strings.TrimSpace(text) == "" {
			return bad{Text: "usage: /msg NICK TEXT"}, nil
		}
		return Msg{To: to, Text: text}, nil
	case "help":
		return Help{}, nil
	case "quit":
		return Quit{}, nil
	}
	return bad{Text: fmt.Sprintf("unknown command /%s (try /help)", cmd)}, nil
}

func (textSerializer) Marshal(dst []byte, msg any) ([]byte, error) {
	switch m := msg.(type) {
	case Line:
		return fmt.Appendf(dst, "[%s] <%s> %s", m.Room, m.From, m.Text), nil
	case Welcome:
		return fmt.Appendf(dst, "* welcome, %s", m.Nick), nil
	case Joined:
		return fmt.Appendf(dst, "* now in %s (%d earlier %s above)", m.Room, m.Count, plural(m.Count, "line", "lines")), nil
	case Left:
		return fmt.Appendf(dst, "* you left %s", m.Room), nil
	case MemberList:
		if len(m.Nicks) == 0 {
			return fmt.Appendf(dst, "* nobody in %s", m.Room), nil
		}
		return fmt.Appendf(dst, "* in %s: %s", m.Room, strings.Join(m.Nicks, ", ")), nil
	case RoomList:
		if len(m.Rooms) == 0 {
			return append(dst, "* no rooms with people in them"...), nil
		}
		dst = append(dst, "* rooms:"...)
		for i, r := range m.Rooms {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = fmt.Appendf(dst, " %s (%d)", r.Room, r.Members)
		}
		return dst, nil
	case PresenceNote:
		if m.Joined {
			return fmt.Appendf(dst, "* %s joined %s", m.Nick, m.Room), nil
		}
		return fmt.Appendf(dst, "* %s left %s", m.Nick, m.Room), nil
	case Private:
		return fmt.Appendf(dst, "*%s* %s", m.From, m.Text), nil
	case Sent:
		return fmt.Appendf(dst, "-> %s: %s", m.To, m.Text), nil
	case Gap:
		return fmt.Appendf(dst, "* %s: %s", m.Room, m.Text), nil
	case Error:
		return fmt.Appendf(dst, "error: %s", m.Text), nil
	case notice:
		return fmt.Appendf(dst, "* %s", m.Text), nil
	}
	return dst, fmt.Errorf("chat: no text form for %T", msg)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lenient wraps the WebSocket listener's JSON serializer: a message it
// cannot decode (an unknown type, a field of the wrong type, not JSON)
// becomes a bad the member answers with an error, instead of closing the
// connection.
type lenient struct{ codec.Serializer }

func (l lenient) Unmarshal(frame []byte) (any, error) {
	msg, err := l.Serializer.Unmarshal(frame)
	if err == nil {
		return msg, nil
	}
	b := bad{Text: "malformed message: " + err.Error()}
	var unknown *codec.UnknownTagError
	if errors.As(err, &unknown) {
		b.Text = fmt.Sprintf("unknown message type %q", unknown.Tag)
	}
	// The fields that say which message it was, if they can be read (a
	// field of the wrong type elsewhere fails the whole decode).
	var env struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if json.Unmarshal(frame, &env) == nil {
		for name, to := range map[string]*string{"ref": &b.Ref, "key": &b.Key, "room": &b.Room} {
			json.Unmarshal(env.Data[name], to)
		}
	}
	return b, nil
}

// TextFrames makes the WebSocket codec send lenient's JSON as text frames
// (websocket.TextSerializer), as it sends the JSON serializer's.
func (lenient) TextFrames() bool { return true }
