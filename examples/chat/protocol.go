package main

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// The operations of PROTOCOL.md, one Go type each. Both listeners decode
// into them and encode from them: the WebSocket listener as JSON envelopes
// ({"type":"say","data":{...}}), the TCP listener as text lines (text.go).
// Fields are empty when not given.

// Client to server.
type (
	// Hello opens a session: a nick, and the client's session id (it scopes
	// idempotency keys and lets a reconnecting client take its nick back).
	Hello struct {
		Nick    string `json:"nick"`
		Session string `json:"session,omitempty"`
		Ref     string `json:"ref,omitempty"`
	}
	// Nick chooses or changes the client's nick.
	Nick struct {
		Nick string `json:"nick"`
		Ref  string `json:"ref,omitempty"`
	}
	// Join enters Room: the lines after Since (a position), or the last
	// Last, then live.
	Join struct {
		Room  string          `json:"room"`
		Since *actor.Position `json:"since,omitempty"`
		Last  int             `json:"last,omitempty"`
		Ref   string          `json:"ref,omitempty"`
	}
	// Leave leaves Room ("" for a TCP client: its current room).
	Leave struct {
		Room string `json:"room,omitempty"`
		Ref  string `json:"ref,omitempty"`
	}
	// Say says Text to Room ("" for a TCP client: its current room), with
	// the idempotency key Key.
	Say struct {
		Room string `json:"room,omitempty"`
		Text string `json:"text"`
		Key  string `json:"key,omitempty"`
	}
	// Msg says Text to the holder of the nick To only.
	Msg struct {
		To   string `json:"to"`
		Text string `json:"text"`
		Ref  string `json:"ref,omitempty"`
	}
	// Who asks who is in Room ("": the client's current room).
	Who struct {
		Room string `json:"room,omitempty"`
		Ref  string `json:"ref,omitempty"`
	}
	// Rooms asks for the rooms with people in them.
	Rooms struct {
		Ref string `json:"ref,omitempty"`
	}
	// Quit closes the connection (TCP's /quit).
	Quit struct{}
	// Help asks for the list of commands (TCP's /help).
	Help struct{}
)

// Server to client.
type (
	// Welcome answers Hello and Nick: the client's nick from now on.
	Welcome struct {
		Nick string `json:"nick"`
		Ref  string `json:"ref,omitempty"`
	}
	// Line is a line said in a room, at its position in the room's history.
	// It is also what is stored in the room's history (without Pos).
	Line struct {
		Room string          `json:"room"`
		From string          `json:"from"`
		Text string          `json:"text"`
		Pos  *actor.Position `json:"pos,omitempty"`
	}
	// Joined ends the replay of a Join: Pos is the last position the
	// replay reached, Count the lines it replayed.
	Joined struct {
		Room  string          `json:"room"`
		Pos   *actor.Position `json:"pos,omitempty"`
		Count int             `json:"count"`
		Ref   string          `json:"ref,omitempty"`
	}
	// Left answers Leave.
	Left struct {
		Room string `json:"room"`
		Ref  string `json:"ref,omitempty"`
	}
	// Ack answers Say once the line is stored: its position; Dup when the
	// key had been used already (nothing new was stored).
	Ack struct {
		Room string          `json:"room"`
		Key  string          `json:"key"`
		Pos  *actor.Position `json:"pos"`
		Dup  bool            `json:"dup,omitempty"`
	}
	// Sent answers Msg: it reached the nick's holder's node.
	Sent struct {
		To   string `json:"to"`
		Text string `json:"text"`
		Ref  string `json:"ref,omitempty"`
	}
	// MemberList answers Who, and follows Joined: the nicks in Room on
	// every node, sorted.
	MemberList struct {
		Room  string   `json:"room"`
		Nicks []string `json:"nicks"`
		Ref   string   `json:"ref,omitempty"`
	}
	// RoomList answers Rooms.
	RoomList struct {
		Rooms []RoomCount `json:"rooms"`
		Ref   string      `json:"ref,omitempty"`
	}
	// RoomCount is one room of a RoomList.
	RoomCount struct {
		Room    string `json:"room"`
		Members int    `json:"members"`
	}
	// PresenceNote says that Nick joined or left Room.
	PresenceNote struct {
		Room   string `json:"room"`
		Nick   string `json:"nick"`
		Joined bool   `json:"joined"`
	}
	// Private is a Msg to this client.
	Private struct {
		From string `json:"from"`
		Text string `json:"text"`
	}
	// Gap says some lines of Room were lost to the client.
	Gap struct {
		Room string `json:"room"`
		Text string `json:"text"`
	}
	// Error refuses a request: Ref or Key says which. Code, when set, is
	// what a program can test: "slow-down" (flood control refused it: try
	// again later), "flooding" (the connection is being closed for it).
	Error struct {
		Ref  string `json:"ref,omitempty"`
		Key  string `json:"key,omitempty"`
		Room string `json:"room,omitempty"`
		Text string `json:"text"`
		Code string `json:"code,omitempty"`
	}
	// HelpText answers Help (TCP only).
	HelpText struct{}
)

// wire gives every message of the protocol its tag on the WebSocket wire.
var wire = []any{
	codec.Tagged("hello", Hello{}), codec.Tagged("nick", Nick{}), codec.Tagged("join", Join{}),
	codec.Tagged("leave", Leave{}), codec.Tagged("say", Say{}), codec.Tagged("msg", Msg{}),
	codec.Tagged("who", Who{}), codec.Tagged("rooms", Rooms{}),
	codec.Tagged("welcome", Welcome{}), codec.Tagged("line", Line{}), codec.Tagged("joined", Joined{}),
	codec.Tagged("left", Left{}), codec.Tagged("ack", Ack{}), codec.Tagged("sent", Sent{}),
	codec.Tagged("members", MemberList{}), codec.Tagged("roomlist", RoomList{}),
	codec.Tagged("presence", PresenceNote{}), codec.Tagged("private", Private{}),
	codec.Tagged("gap", Gap{}), codec.Tagged("error", Error{}),
}

// crossing are the messages that cross nodes: Line is stored in the rooms'
// history, the others go between member actors.
var crossing = []any{
	codec.Tagged("chat.line", Line{}), codec.Tagged("chat.private", privateMsg{}),
	codec.Tagged("chat.takeover", takeover{}), codec.Tagged("chat.released", released{}),
}

// Between member actors (possibly on other nodes).
type (
	// privateMsg is a Msg on its way to the nick's holder.
	privateMsg struct{ From, Text string }
	// takeover asks the holder of a nick to give it up to a new connection
	// of the same session (answered with released).
	takeover struct{ Session string }
	// released answers takeover: OK if the nick was released.
	released struct{ OK bool }
)

// Limits, as PROTOCOL.md states them.
const (
	maxNick     = 24
	maxRoom     = 32
	maxText     = 4096
	maxKey      = 60
	maxRooms    = 16 // rooms a WebSocket client may be in at once
	maxFrame    = 64 << 10
	historyLast = 100 // lines replayed to a join without a position
	maxLast     = 1000
	minSession  = 16
	maxSession  = 64
)

// checkNick returns the nick's registry name (case-folded) or why it is
// not a nick.
func checkNick(nick string) (string, string) {
	if nick == "" || utf8.RuneCountInString(nick) > maxNick {
		return "", "a nick is 1 to 24 characters"
	}
	for i, r := range nick {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || (i > 0 && (r == '_' || r == '-' || r == '.'))
		if !ok {
			return "", "a nick is letters, digits, _ - and . (starting with a letter or digit)"
		}
	}
	return "nick:" + strings.ToLower(nick), ""
}

// checkRoom returns the room's canonical name (lower case) or why it is
// not a room name.
func checkRoom(room string) (string, string) {
	room = strings.ToLower(room)
	if room == "" || len(room) > maxRoom {
		return "", "a room name is 1 to 32 characters"
	}
	for _, r := range room {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return "", "a room name is letters a-z, digits, _ - and ."
		}
	}
	return room, ""
}

// checkText says why text cannot be said, or "".
func checkText(text string) string {
	switch {
	case text == "":
		return "nothing to say"
	case len(text) > maxText:
		return "a line is at most 4096 bytes"
	case !utf8.ValidString(text):
		return "a line is UTF-8"
	}
	for _, r := range text {
		if r != '\t' && unicode.IsControl(r) {
			return "a line holds no control characters"
		}
	}
	return ""
}

// checkToken says why s (a session id, or a key when key) is unusable, or "".
func checkToken(s string, key bool) string {
	if key {
		if s == "" || len(s) > maxKey {
			return "a key is 1 to 60 characters"
		}
		for _, r := range s {
			if unicode.IsControl(r) {
				return "a key holds no control characters"
			}
		}
		return ""
	}
	if len(s) < minSession || len(s) > maxSession {
		return "a session is 16 to 64 characters"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "a session is letters, digits, - and _"
		}
	}
	return ""
}

func roomGroup(room string) string { return "room:" + room }
