package main

// Probes of the chat server's documented promises (PROTOCOL.md, the
// package doc, README's "Run it", docs/guide.md section 18), written from
// the documentation alone, in unlucky orders of events.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
)

// sess is a valid session (16 to 64 letters, digits, '-', '_') for name.
func sess(name string) string { return "probe-session-" + name + "-0123456789" }

// answer reads messages until one whose ref (or key) is id, and returns it.
func (w *wsClient) answer(id string) envelope {
	w.t.Helper()
	for {
		e := w.next()
		if e.Type == "line" || e.Type == "presence" || e.Type == "private" || e.Type == "gap" {
			continue
		}
		if e.field("ref") == id || e.field("key") == id {
			return e
		}
	}
}

// mustBe checks an envelope's type.
func mustBe(t *testing.T, e envelope, typ string) {
	t.Helper()
	if e.Type != typ {
		t.Fatalf("got %s %s, want %s", e.Type, e.Data, typ)
	}
}

// joinResult is what a join answered.
type joinResult struct {
	lines   []envelope
	gap     bool
	joined  envelope
	members envelope
}

// join sends a join with extra fields and reads its answer through
// members (lines of the room before joined are the replay). It fails on
// an error.
func (w *wsClient) join(room string, extra map[string]any) joinResult {
	w.t.Helper()
	ref := "j-" + room
	data := map[string]any{"room": room, "ref": ref}
	for k, v := range extra {
		data[k] = v
	}
	w.send("join", data)
	var r joinResult
	for {
		e := w.next()
		switch e.Type {
		case "line":
			if e.field("room") == strings.ToLower(room) {
				r.lines = append(r.lines, e)
			}
			continue
		case "gap":
			r.gap = true
			continue
		case "error":
			if e.field("ref") == ref {
				w.t.Fatalf("join %s: %s", room, e.Data)
			}
			continue
		case "joined":
			if e.field("ref") != ref {
				continue
			}
			r.joined = e
		default:
			continue
		}
		break
	}
	r.members = w.until("members", func(e envelope) bool { return e.field("room") == strings.ToLower(room) })
	return r
}

// say says text in room with key and returns the answer (ack or error).
func (w *wsClient) say(room, text, key string) envelope {
	w.t.Helper()
	w.send("say", map[string]any{"room": room, "text": text, "key": key})
	return w.answer(key)
}

// nickAnswer sends hello with nick and session and returns the answer.
func (w *wsClient) tryHello(nick, session string) envelope {
	w.t.Helper()
	w.send("hello", map[string]any{"nick": nick, "session": session, "ref": "h"})
	return w.answer("h")
}

// closeCode reads until the connection ends and returns the close code
// and reason (-1 if it ended without a close frame).
func (w *wsClient) closeCode() (int, string) {
	w.t.Helper()
	w.c.SetReadDeadline(time.Now().Add(patience))
	for {
		_, _, err := w.c.ReadMessage()
		if err == nil {
			continue
		}
		if ce, ok := err.(*gorilla.CloseError); ok {
			return ce.Code, ce.Text
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			w.t.Fatal("connection not closed")
		}
		return -1, err.Error()
	}
}

// lineFrom waits for a line in room with text.
func (w *wsClient) lineWith(room, text string) envelope {
	w.t.Helper()
	return w.until("line", func(e envelope) bool { return e.field("room") == room && e.field("text") == text })
}

// pollHello connects again and again until nick is welcomed with session
// (the server frees a nick in the background), and returns the client.
func pollHello(t *testing.T, s server, nick, session string) *wsClient {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		w := dialWS(t, s)
		e := w.tryHello(nick, session)
		if e.Type == "welcome" {
			return w
		}
		w.c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("nick %s still refused: %s %s", nick, e.Type, e.Data)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// ---- nicks ----

func TestProbeNickFreedAfterImmediateClose(t *testing.T) {
	s := standalone(t)
	// hello, then the connection closed before the welcome is even read.
	a := dialWS(t, s)
	a.send("hello", map[string]any{"nick": "ann", "session": sess("a"), "ref": "h"})
	a.c.Close()
	pollHello(t, s, "ann", sess("b"))
}

func TestProbeNickFreedAfterTCPImmediateClose(t *testing.T) {
	s := standalone(t)
	a := dialTCP(t, s.tcp.String())
	a.send("/nick ann")
	a.c.Close()
	pollHello(t, s, "ann", sess("b"))
}

func TestProbeNickFreedAfterNickChange(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("nick", map[string]any{"nick": "anna", "ref": "n"})
	a.expect("welcome", `{"nick":"anna","ref":"n"}`)
	pollHello(t, s, "ann", sess("b"))
	// and anna stays taken.
	c := dialWS(t, s)
	mustBe(t, c.tryHello("Anna", sess("c")), "error")
}

func TestProbeNickRace(t *testing.T) {
	s := standalone(t)
	for round := 0; round < 5; round++ {
		nick := fmt.Sprintf("racer%d", round)
		const n = 4
		cs := make([]*wsClient, n)
		for i := range cs {
			cs[i] = dialWS(t, s)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				b, _ := json.Marshal(map[string]any{"type": "hello", "data": map[string]any{"nick": nick, "session": sess(fmt.Sprint(round, "x", i)), "ref": "h"}})
				c.c.WriteMessage(gorilla.TextMessage, b)
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, c := range cs {
			e := c.answer("h")
			switch e.Type {
			case "welcome":
				wins++
			case "error":
			default:
				t.Fatalf("answer %s %s", e.Type, e.Data)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d clients won nick %s, want exactly 1", round, wins, nick)
		}
	}
}

func TestProbeNickCaseFold(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("Ann", sess("a")) // shown as typed
	b := dialWS(t, s)
	if e := b.tryHello("aNN", sess("b")); e.Type != "error" {
		t.Fatalf("aNN while Ann holds the nick: %s %s", e.Type, e.Data)
	}
	tc := dialTCP(t, s.tcp.String())
	tc.send("/nick ANN")
	if got := tc.next(); !strings.HasPrefix(got, "error:") {
		t.Fatalf("/nick ANN while Ann holds it: %q", got)
	}
}

func TestProbeNickLength(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	n24 := "a" + strings.Repeat("b", 23)
	a.hello(n24, sess("a"))
	b := dialWS(t, s)
	if e := b.tryHello(n24+"c", sess("b")); e.Type != "error" {
		t.Fatalf("25-character nick: %s %s", e.Type, e.Data)
	}
	if e := b.tryHello("", sess("b")); e.Type != "error" {
		t.Fatalf("empty nick: %s %s", e.Type, e.Data)
	}
	b.hello("x", sess("b")) // 1 character
}

func TestProbeNickCharacters(t *testing.T) {
	s := standalone(t)
	for _, bad := range []string{"_ann", "-ann", ".ann", "an n", "ann!", "an/n", "ann\t"} {
		w := dialWS(t, s)
		if e := w.tryHello(bad, sess("b")); e.Type != "error" {
			t.Errorf("nick %q: %s %s", bad, e.Type, e.Data)
		}
		w.c.Close()
	}
	for i, good := range []string{"1ann", "a.b_c-d", "ann.", "Z9"} {
		w := dialWS(t, s)
		if e := w.tryHello(good, sess(fmt.Sprint("g", i))); e.Type != "welcome" || e.field("nick") != good {
			t.Errorf("nick %q: %s %s", good, e.Type, e.Data)
		}
	}
}

// "letters": a nick of letters outside ASCII, counted in characters, and
// folded regardless of case.
func TestProbeNickUnicode(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	if e := a.tryHello("Ånn", sess("a")); e.Type != "welcome" || e.field("nick") != "Ånn" {
		t.Fatalf("nick Ånn: %s %s", e.Type, e.Data)
	}
	b := dialWS(t, s)
	if e := b.tryHello("åNN", sess("b")); e.Type != "error" {
		t.Fatalf("åNN while Ånn holds the nick: %s %s", e.Type, e.Data)
	}
	long := strings.Repeat("é", 24) // 24 characters, 48 bytes
	if e := b.tryHello(long, sess("b")); e.Type != "welcome" {
		t.Fatalf("24-letter nick of 48 bytes: %s %s", e.Type, e.Data)
	}
}

func TestProbeNickTakenOverBySameSession(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	b := dialWS(t, s)
	b.hello("ann", sess("a")) // the same session takes its nick back
	code, reason := a.closeCode()
	if code != 4001 || !strings.Contains(reason, "replaced") {
		t.Fatalf("old connection closed with %d %q, want 4001 replaced", code, reason)
	}
}

func TestProbeNickNotTakenByOtherSession(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	b := dialWS(t, s)
	mustBe(t, b.tryHello("ann", sess("b")), "error")
	a.send("rooms", map[string]any{"ref": "r"})
	mustBe(t, a.answer("r"), "roomlist")
}

func TestProbeSessionBoundaries(t *testing.T) {
	s := standalone(t)
	cases := []struct {
		session string
		ok      bool
	}{
		{strings.Repeat("s", 16), true},
		{strings.Repeat("t", 15), false},
		{strings.Repeat("u", 64), true},
		{strings.Repeat("v", 65), false},
		{"abc-DEF_123-4567", true},
		{"abc!def@ghi#jkl$mno", false},
		{"abc def ghi jkl mno", false},
	}
	for i, c := range cases {
		w := dialWS(t, s)
		e := w.tryHello(fmt.Sprintf("user%d", i), c.session)
		if (e.Type == "welcome") != c.ok {
			t.Errorf("session %q (%d chars): %s %s, want ok=%v", c.session, len(c.session), e.Type, e.Data, c.ok)
		}
		w.c.Close()
	}
}

// ---- rooms ----

func TestProbeRoomCaseFold(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	r := a.join("Lobby", nil)
	if r.joined.field("room") != "lobby" {
		t.Fatalf("joined %s, want room lobby", r.joined.Data)
	}
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("LOBBY", nil)
	if e := b.say("lObBy", "hi", "1"); e.Type != "ack" {
		t.Fatalf("say to lObBy: %s %s", e.Type, e.Data)
	}
	a.lineWith("lobby", "hi")
}

func TestProbeRoomLength(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	r32 := strings.Repeat("r", 32)
	a.join(r32, nil)
	a.send("join", map[string]any{"room": r32 + "x", "ref": "j33"})
	mustBe(t, a.answer("j33"), "error")
	a.send("join", map[string]any{"room": "", "ref": "j0"})
	mustBe(t, a.answer("j0"), "error")
	for _, bad := range []string{"a b", "lob/by", "lobby!", "#lobby"} {
		a.send("join", map[string]any{"room": bad, "ref": "jb"})
		if e := a.answer("jb"); e.Type != "error" {
			t.Errorf("room %q: %s %s", bad, e.Type, e.Data)
		}
	}
	a.join("a_b-c.d", nil)
}

func TestProbeSixteenRooms(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	for i := 1; i <= 16; i++ {
		a.join(fmt.Sprintf("room%d", i), nil)
	}
	a.send("join", map[string]any{"room": "room17", "ref": "j17"})
	mustBe(t, a.answer("j17"), "error")
	// joining one already joined is not a 17th
	r := a.join("room3", nil)
	if r.joined.field("count") != "0" {
		t.Fatalf("rejoin answered %s", r.joined.Data)
	}
	a.send("leave", map[string]any{"room": "room1", "ref": "l1"})
	mustBe(t, a.answer("l1"), "left")
	a.join("room17", nil)
}

func TestProbeJoinTwice(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	a.say("lobby", "one", "1")
	a.say("lobby", "two", "2")
	a.lineWith("lobby", "two") // its own line may come after its ack
	r := a.join("lobby", nil)
	if len(r.lines) != 0 || r.joined.field("count") != "0" {
		t.Fatalf("second join replayed %d lines, joined %s", len(r.lines), r.joined.Data)
	}
	// still in it once: one live line, received once
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	b.say("lobby", "three", "3")
	b.send("who", map[string]any{"room": "lobby", "ref": "w"})
	mustBe(t, b.answer("w"), "members")
	a.lineWith("lobby", "three")
	a.send("say", map[string]any{"room": "lobby", "text": "marker", "key": "4"})
	for {
		e := a.next()
		if e.Type == "line" && e.field("text") == "three" {
			t.Fatal("line received twice after joining twice")
		}
		if e.Type == "line" && e.field("text") == "marker" {
			break
		}
	}
	a.send("who", map[string]any{"room": "lobby", "ref": "w"})
	if e := a.answer("w"); !sameJSON([]byte(e.field("nicks")), `["ann","bob"]`) {
		t.Fatalf("who: %s", e.Data)
	}
}

func TestProbeLeaveNotJoined(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("leave", map[string]any{"room": "nowhere", "ref": "l"})
	if e := a.answer("l"); e.Type != "left" && e.Type != "error" {
		t.Fatalf("leave of a room not joined: %s %s", e.Type, e.Data)
	}
	// the connection goes on
	a.join("lobby", nil)
}

func TestProbeSayNotJoined(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	e := a.say("lobby", "sneaky", "1")
	if e.Type != "error" {
		t.Fatalf("say to a room not joined: %s %s", e.Type, e.Data)
	}
	b.say("lobby", "marker", "m")
	for {
		e := b.next()
		if e.Type == "line" && e.field("text") == "sneaky" {
			t.Fatal("line of a client not in the room was relayed")
		}
		if e.Type == "line" && e.field("text") == "marker" {
			break
		}
	}
}

func TestProbeWhoEmptyRoom(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("who", map[string]any{"room": "empty", "ref": "w"})
	e := a.answer("w")
	mustBe(t, e, "members")
	if e.field("room") != "empty" || !sameJSON([]byte(e.field("nicks")), `[]`) {
		t.Fatalf("who on an empty room: %s (want nicks [])", e.Data)
	}
}

func TestProbeWhoNotInRoomAndSorted(t *testing.T) {
	s := standalone(t)
	for _, n := range []string{"carol", "ann", "bob"} {
		w := dialWS(t, s)
		w.hello(n, sess(n))
		w.join("lobby", nil)
	}
	d := dialWS(t, s)
	d.hello("dave", sess("d"))
	d.send("who", map[string]any{"room": "Lobby", "ref": "w"})
	e := d.answer("w")
	if !sameJSON([]byte(e.field("nicks")), `["ann","bob","carol"]`) {
		t.Fatalf("who: %s", e.Data)
	}
}

func TestProbeRoomsCounts(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	a.join("games", nil)
	b := dialTCP(t, s.tcp.String())
	b.login("bob")
	b.send("/join lobby")
	b.until("* in lobby: ann, bob")
	c := dialWS(t, s)
	c.hello("carol", sess("c"))
	c.join("games", nil)
	d := dialWS(t, s)
	d.hello("dave", sess("d"))
	d.join("solo", nil)
	want := map[string]int{"lobby": 2, "games": 2, "solo": 1}
	pollRooms(t, a, want)
	d.send("leave", map[string]any{"room": "solo", "ref": "l"})
	mustBe(t, d.answer("l"), "left")
	b.c.Close()
	pollRooms(t, a, map[string]int{"lobby": 1, "games": 2})
}

// pollRooms asks rooms until the counts are want.
func pollRooms(t *testing.T, w *wsClient, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		w.send("rooms", map[string]any{"ref": "rl"})
		e := w.answer("rl")
		var d struct {
			Rooms []struct {
				Room    string
				Members int
			}
		}
		json.Unmarshal(e.Data, &d)
		got := map[string]int{}
		for _, r := range d.Rooms {
			got[r.Room] = r.Members
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rooms: %s, want %v", e.Data, want)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// ---- lines ----

func TestProbeLineLength(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	ok := strings.Repeat("x", 4096)
	mustBe(t, a.say("lobby", ok, "1"), "ack")
	okUTF := strings.Repeat("é", 2048) // 4096 bytes
	mustBe(t, a.say("lobby", okUTF, "2"), "ack")
	mustBe(t, a.say("lobby", ok+"y", "3"), "error")
	mustBe(t, a.say("lobby", strings.Repeat("x", 4095)+"é", "4"), "error") // 4097 bytes
	mustBe(t, a.say("lobby", "", "5"), "error")
	a.say("lobby", "marker", "6")
	n := 0
	for {
		e := b.until("line", nil)
		if e.field("text") == "marker" {
			break
		}
		n++
	}
	if n != 2 {
		t.Fatalf("bob got %d lines before the marker, want 2", n)
	}
}

func TestProbeLineControlCharacters(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	mustBe(t, a.say("lobby", "tab\there", "ok"), "ack")
	for i, bad := range []string{"a\x01b", "new\nline", "cr\rhere", "esc\x1b[31mred", "del\x7f", "nel\u0085", "csi\u009b31m", "nul\x00"} {
		if e := a.say("lobby", bad, fmt.Sprint("k", i)); e.Type != "error" {
			t.Errorf("line %q: %s %s", bad, e.Type, e.Data)
		}
	}
}

func TestProbeMsgLineLength(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	a.send("msg", map[string]any{"to": "bob", "text": strings.Repeat("x", 4097), "ref": "m"})
	mustBe(t, a.answer("m"), "error")
	a.send("msg", map[string]any{"to": "bob", "text": strings.Repeat("x", 4096), "ref": "m2"})
	mustBe(t, a.answer("m2"), "sent")
	e := b.until("private", nil)
	if len(e.field("text")) != 4096 {
		t.Fatalf("private of %d bytes", len(e.field("text")))
	}
}

func TestProbeKeyLength(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	mustBe(t, a.say("lobby", "k60", strings.Repeat("k", 60)), "ack")
	mustBe(t, a.say("lobby", "k61", strings.Repeat("q", 61)), "error")
	mustBe(t, a.say("lobby", "kctl", "a\x01b"), "error")
}

// A say without a key is acknowledged (with an empty key), each one a new
// line: without a key nothing is deduplicated.
func TestProbeSayWithoutKey(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	var pos []string
	for range 2 {
		a.send("say", map[string]any{"room": "lobby", "text": "nokey"})
		e := a.until("ack", nil)
		if e.field("key") != "" || e.field("dup") != "" {
			t.Fatalf("say without a key acknowledged %s", e.Data)
		}
		pos = append(pos, e.field("pos"))
	}
	if pos[0] == pos[1] {
		t.Fatalf("two says without a key stored once: %v", pos)
	}
}

// ---- joining from a position, last ----

// sayN says n lines and returns their positions.
func (w *wsClient) sayN(room string, n int, prefix string) []string {
	w.t.Helper()
	for i := 0; i < n; i++ {
		w.send("say", map[string]any{"room": room, "text": fmt.Sprint(prefix, i), "key": fmt.Sprint(prefix, i)})
	}
	pos := make([]string, n)
	for i := 0; i < n; i++ {
		e := w.answer(fmt.Sprint(prefix, i))
		mustBe(w.t, e, "ack")
		pos[i] = e.field("pos")
	}
	return pos
}

func epochSeq(t *testing.T, pos string) (string, int64) {
	t.Helper()
	e, s, ok := strings.Cut(pos, ":")
	n, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil {
		t.Fatalf("position %q is not epoch:seq", pos)
	}
	return e, n
}

func TestProbeJoinedCountAndPos(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	pos := a.sayN("lobby", 7, "l")
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	for _, c := range []struct {
		extra map[string]any
		n     int
	}{
		{nil, 7},
		{map[string]any{"last": 3}, 3},
		{map[string]any{"since": pos[1]}, 5},
		{map[string]any{"since": pos[6]}, 0},
	} {
		r := b.join("lobby", c.extra)
		if len(r.lines) != c.n || r.joined.field("count") != strconv.Itoa(c.n) || r.gap {
			t.Fatalf("join %v: %d lines, gap %v, joined %s; want %d", c.extra, len(r.lines), r.gap, r.joined.Data, c.n)
		}
		if r.joined.field("pos") != pos[6] {
			t.Fatalf("join %v: joined.pos %s, want %s", c.extra, r.joined.field("pos"), pos[6])
		}
		if c.n > 0 && r.lines[len(r.lines)-1].field("pos") != pos[6] {
			t.Fatalf("last replayed pos %s", r.lines[len(r.lines)-1].field("pos"))
		}
		b.send("leave", map[string]any{"room": "lobby", "ref": "l"})
		mustBe(t, b.answer("l"), "left")
	}
}

func TestProbeJoinSinceEpochStart(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	pos := a.sayN("lobby", 3, "l")
	epoch, _ := epochSeq(t, pos[0])
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	r := b.join("lobby", map[string]any{"since": epoch + ":0"})
	if len(r.lines) != 3 || r.gap {
		t.Fatalf("since %s:0: %d lines, gap %v", epoch, len(r.lines), r.gap)
	}
}

// A position of another epoch: the room's history no longer reaches back to
// it, so gap, then the last lines.
func TestProbeJoinSinceOtherEpoch(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	pos := a.sayN("lobby", 3, "l")
	epoch, _ := epochSeq(t, pos[0])
	other := "1"
	if epoch == "1" {
		other = "2"
	}
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	r := b.join("lobby", map[string]any{"since": other + ":2"})
	if !r.gap || len(r.lines) != 3 || r.joined.field("count") != "3" {
		t.Fatalf("since another epoch: gap %v, %d lines, joined %s; want gap and 3 lines", r.gap, len(r.lines), r.joined.Data)
	}
}

// A position of the future (same epoch): nothing is missed; live lines
// must still follow.
func TestProbeJoinSinceFuture(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	pos := a.sayN("lobby", 2, "l")
	epoch, seq := epochSeq(t, pos[1])
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	r := b.join("lobby", map[string]any{"since": fmt.Sprintf("%s:%d", epoch, seq+1000)})
	t.Logf("since the future: gap %v, %d lines, joined %s", r.gap, len(r.lines), r.joined.Data)
	a.say("lobby", "live", "live")
	b.lineWith("lobby", "live")
}

func TestProbeJoinSinceMalformed(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	for _, bad := range []string{"garbage", "1:", ":5", "1:x", "1:2:3"} {
		a.send("join", map[string]any{"room": "lobby", "since": bad, "ref": "j"})
		if e := a.answer("j"); e.Type != "error" {
			t.Errorf("since %q: %s %s", bad, e.Type, e.Data)
		}
	}
}

// With a history of 5, joining since the position just before the oldest
// kept line misses nothing (no gap); one earlier misses one (gap).
func TestProbeJoinSinceHistoryEdge(t *testing.T) {
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true, limits: testLimits, history: 5})
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	pos := a.sayN("lobby", 10, "l") // kept: 5..9
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	r := b.join("lobby", map[string]any{"since": pos[4]})
	if r.gap || len(r.lines) != 5 {
		t.Fatalf("since the line before the oldest kept: gap %v, %d lines; want no gap, 5", r.gap, len(r.lines))
	}
	b.send("leave", map[string]any{"room": "lobby", "ref": "l"})
	b.answer("l")
	r = b.join("lobby", map[string]any{"since": pos[3]})
	if !r.gap || len(r.lines) != 5 {
		t.Fatalf("since two before the oldest kept: gap %v, %d lines; want gap, 5", r.gap, len(r.lines))
	}
}

func TestProbeJoinLastBoundaries(t *testing.T) {
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true,
		limits: limits{rate: 1e6, burst: 1e6, strikes: 20}, history: 1100})
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	a.sayN("lobby", 1001, "l")
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	for _, c := range []struct{ last, want int }{{0, 100}, {1, 1}, {1000, 1000}} {
		r := b.join("lobby", map[string]any{"last": c.last})
		if len(r.lines) != c.want || r.joined.field("count") != strconv.Itoa(c.want) {
			t.Errorf("last %d: %d lines, joined %s; want %d", c.last, len(r.lines), r.joined.Data, c.want)
		}
		b.send("leave", map[string]any{"room": "lobby", "ref": "l"})
		b.answer("l")
	}
	// last 1001: refused, or at most 1000
	b.send("join", map[string]any{"room": "lobby", "last": 1001, "ref": "j"})
	n := 0
	for {
		e := b.next()
		if e.Type == "line" {
			n++
			continue
		}
		if e.field("ref") == "j" {
			if e.Type == "joined" && n > 1000 {
				t.Fatalf("last 1001 replayed %d lines", n)
			}
			break
		}
	}
}

// ---- idempotency ----

func TestProbeResendAfterReconnectIsDup(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	first := a.say("lobby", "once", "k1")
	mustBe(t, first, "ack")
	a.c.Close()
	a2 := pollHello(t, s, "ann", sess("a"))
	a2.join("lobby", map[string]any{"since": first.field("pos")})
	again := a2.say("lobby", "once", "k1")
	if again.Type != "ack" || again.field("dup") != "true" || again.field("pos") != first.field("pos") {
		t.Fatalf("resend: %s %s, want ack dup with pos %s", again.Type, again.Data, first.field("pos"))
	}
	a2.say("lobby", "marker", "k2")
	n := 0
	for {
		e := b.until("line", nil)
		if e.field("text") == "marker" {
			break
		}
		n++
	}
	if n != 1 {
		t.Fatalf("bob saw the line %d times", n)
	}
}

// The unlucky order: the line sent, then the connection gone before the
// ack was read; the resend after reconnecting publishes it once only.
func TestProbeResendAfterUnackedClose(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	a.send("say", map[string]any{"room": "lobby", "text": "maybe", "key": "k1"})
	a.c.Close()
	a2 := pollHello(t, s, "ann", sess("a"))
	a2.join("lobby", nil)
	mustBe(t, a2.say("lobby", "maybe", "k1"), "ack")
	a2.say("lobby", "marker", "k2")
	n := 0
	for {
		e := b.until("line", nil)
		if e.field("text") == "marker" {
			break
		}
		n++
	}
	if n != 1 {
		t.Fatalf("bob saw the line %d times", n)
	}
}

func TestProbeSameKeyOtherSession(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	ea := a.say("lobby", "from ann", "1")
	eb := b.say("lobby", "from bob", "1")
	if ea.Type != "ack" || eb.Type != "ack" || eb.field("dup") == "true" || ea.field("pos") == eb.field("pos") {
		t.Fatalf("same key, two sessions: %s / %s", ea.Data, eb.Data)
	}
}

func TestProbeSameKeyOtherRoom(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("one", nil)
	a.join("two", nil)
	e1 := a.say("one", "x", "1")
	e2 := a.say("two", "y", "1")
	if e2.Type != "ack" || e2.field("dup") == "true" {
		t.Fatalf("same key in another room: %s then %s", e1.Data, e2.Data)
	}
	a.lineWith("two", "y")
}

func TestProbeNickOnlyKeysScopedToConnection(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.send("nick", map[string]any{"nick": "ann", "ref": "n"})
	mustBe(t, a.answer("n"), "welcome")
	a.join("lobby", nil)
	mustBe(t, a.say("lobby", "one", "1"), "ack")
	dup := a.say("lobby", "one", "1")
	if dup.field("dup") != "true" {
		t.Fatalf("same key on the same connection: %s", dup.Data)
	}
	a.c.Close()
	deadline := time.Now().Add(patience)
	var a2 *wsClient
	for {
		a2 = dialWS(t, s)
		a2.send("nick", map[string]any{"nick": "ann", "ref": "n"})
		if a2.answer("n").Type == "welcome" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nick ann never free")
		}
		a2.c.Close()
		time.Sleep(30 * time.Millisecond)
	}
	a2.join("lobby", nil)
	if e := a2.say("lobby", "two", "1"); e.Type != "ack" || e.field("dup") == "true" {
		t.Fatalf("same key on a new connection without session: %s", e.Data)
	}
}

// ---- pipelining ----

func TestProbePipelinedHello(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.send("hello", map[string]any{"nick": "ann", "session": sess("a"), "ref": "h"})
	a.send("join", map[string]any{"room": "lobby", "ref": "j"})
	a.send("say", map[string]any{"room": "lobby", "text": "early", "key": "1"})
	a.send("who", map[string]any{"room": "lobby", "ref": "w"})
	a.expect("welcome", `{"nick":"ann","ref":"h"}`)
	mustBe(t, a.answer("j"), "joined")
	mustBe(t, a.answer("1"), "ack")
	if e := a.answer("w"); !sameJSON([]byte(e.field("nicks")), `["ann"]`) {
		t.Fatalf("who: %s", e.Data)
	}
}

func TestProbePipelined256(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.send("hello", map[string]any{"nick": "ann", "session": sess("a"), "ref": "h"})
	a.send("join", map[string]any{"room": "lobby", "ref": "j"})
	for i := 1; i < 256; i++ {
		a.send("say", map[string]any{"room": "lobby", "text": fmt.Sprint("l", i), "key": fmt.Sprint(i)})
	}
	mustBe(t, a.answer("h"), "welcome")
	mustBe(t, a.answer("j"), "joined")
	for i := 1; i < 256; i++ {
		mustBe(t, a.answer(fmt.Sprint(i)), "ack")
	}
}

func TestProbePipelinedAfterRefusedNick(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("ann", sess("b"))
	b.join("lobby", nil)
	a := dialWS(t, s)
	a.send("hello", map[string]any{"nick": "ann", "session": sess("a"), "ref": "h"})
	a.send("join", map[string]any{"room": "lobby", "ref": "j"})
	a.send("say", map[string]any{"room": "lobby", "text": "impostor", "key": "1"})
	mustBe(t, a.answer("h"), "error")
	mustBe(t, a.answer("j"), "error")
	mustBe(t, a.answer("1"), "error")
	// then another nick works on the same connection
	a.send("nick", map[string]any{"nick": "ann2", "ref": "n"})
	mustBe(t, a.answer("n"), "welcome")
	b.say("lobby", "marker", "m")
	for {
		e := b.until("line", nil)
		if e.field("text") == "impostor" {
			t.Fatal("a line after a refused nick was relayed")
		}
		if e.field("text") == "marker" {
			break
		}
	}
}

// ---- presence, private ----

func TestProbePresenceJoinLeaveClose(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	a := dialWS(t, s)
	a.hello("Ann", sess("a"))
	a.join("lobby", nil)
	b.expect("presence", `{"room":"lobby","nick":"Ann","joined":true}`)
	a.send("leave", map[string]any{"room": "lobby", "ref": "l"})
	b.expect("presence", `{"room":"lobby","nick":"Ann","joined":false}`)
	a.join("lobby", nil)
	b.expect("presence", `{"room":"lobby","nick":"Ann","joined":true}`)
	a.c.Close()
	b.expect("presence", `{"room":"lobby","nick":"Ann","joined":false}`)
}

func TestProbePresenceTCPQuit(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	c := dialTCP(t, s.tcp.String())
	c.login("carol")
	c.send("/join lobby")
	b.expect("presence", `{"room":"lobby","nick":"carol","joined":true}`)
	c.send("/quit")
	c.closed()
	b.expect("presence", `{"room":"lobby","nick":"carol","joined":false}`)
}

func TestProbeMsgToSelf(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("msg", map[string]any{"to": "ann", "text": "me", "ref": "m"})
	got := map[string]bool{}
	for len(got) < 2 {
		e := a.next()
		if e.Type == "error" {
			t.Fatalf("msg to self: %s", e.Data)
		}
		got[e.Type] = true
	}
	if !got["sent"] || !got["private"] {
		t.Fatalf("msg to self: %v", got)
	}
}

func TestProbeMsgOtherCase(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("Ann", sess("a"))
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.send("msg", map[string]any{"to": "aNN", "text": "psst", "ref": "m"})
	mustBe(t, b.answer("m"), "sent")
	a.expect("private", `{"from":"bob","text":"psst"}`)
	b.send("msg", map[string]any{"to": "nobody", "text": "psst", "ref": "m2"})
	mustBe(t, b.answer("m2"), "error")
}

func TestProbeMsgAfterNickChange(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("nick", map[string]any{"nick": "anna", "ref": "n"})
	mustBe(t, a.answer("n"), "welcome")
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.send("msg", map[string]any{"to": "anna", "text": "hi", "ref": "m"})
	mustBe(t, b.answer("m"), "sent")
	a.expect("private", `{"from":"bob","text":"hi"}`)
	b.send("msg", map[string]any{"to": "ann", "text": "hi", "ref": "m2"})
	mustBe(t, b.answer("m2"), "error")
}

// Who is in a room, after a member changed its nick, says the nick it has.
func TestProbeWhoAfterNickChange(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	a.send("nick", map[string]any{"nick": "anna", "ref": "n"})
	mustBe(t, a.answer("n"), "welcome")
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.send("who", map[string]any{"room": "lobby", "ref": "w"})
	if e := b.answer("w"); !sameJSON([]byte(e.field("nicks")), `["anna"]`) {
		t.Fatalf("who after ann became anna: %s", e.Data)
	}
}

// ---- flood control ----

func TestProbeFloodStrikes(t *testing.T) {
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true, limits: limits{rate: 0.001, burst: 3, strikes: 4}})
	a := dialWS(t, s)
	a.send("hello", map[string]any{"nick": "ann", "session": sess("a"), "ref": "h"})
	for i := 0; i < 10; i++ { // the server may close before all are sent
		b, _ := json.Marshal(map[string]any{"type": "who", "data": map[string]any{"room": "lobby", "ref": fmt.Sprint(i)}})
		if a.c.WriteMessage(gorilla.TextMessage, b) != nil {
			break
		}
	}
	answered, slow := 0, 0
	a.c.SetReadDeadline(time.Now().Add(patience))
	for {
		_, b, err := a.c.ReadMessage()
		if err != nil {
			ce, ok := err.(*gorilla.CloseError)
			if !ok || ce.Code != 1008 || ce.Text != "flooding" {
				t.Fatalf("closed with %v, want 1008 flooding", err)
			}
			break
		}
		var e envelope
		json.Unmarshal(b, &e)
		switch {
		case e.Type == "error" && strings.Contains(e.field("text"), "slow down"):
			slow++
		case e.Type == "error" && strings.Contains(e.field("text"), "flooding"):
			slow++ // the last refusal says why it closes
		case e.Type == "welcome" || e.Type == "members":
			answered++
		default:
			t.Fatalf("unexpected %s", b)
		}
	}
	if answered > 3 || slow != 4 {
		t.Fatalf("%d answered and %d refused before the close; want burst 3 and strikes 4", answered, slow)
	}
}

func TestProbeFloodRefusedNotActedOn(t *testing.T) {
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true, limits: limits{rate: 0.001, burst: 4, strikes: 100}})
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil) // 2 of bob's 4
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	mustBe(t, a.say("lobby", "ok", "0"), "ack")
	mustBe(t, a.say("lobby", "ok", "1"), "ack") // ann's fourth token
	a.send("say", map[string]any{"room": "lobby", "text": "flood", "key": "2"})
	e := a.until("error", nil)
	if !strings.Contains(e.field("text"), "slow down") {
		t.Fatalf("fifth message: %s %s", e.Type, e.Data)
	}
	a.c.Close()
	for {
		e := b.next()
		if e.Type == "line" && e.field("text") == "flood" {
			t.Fatal("a refused line was relayed")
		}
		if e.Type == "presence" && e.field("joined") == "false" {
			break
		}
	}
}

func TestProbeFloodTCP(t *testing.T) {
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true, limits: limits{rate: 0.001, burst: 2, strikes: 3}})
	c := dialTCP(t, s.tcp.String())
	for i := 0; i < 5; i++ { // burst and strikes: no line left unread at the close
		if _, err := io.WriteString(c.c, "/who lobby\n"); err != nil {
			break
		}
	}
	c.c.SetReadDeadline(time.Now().Add(patience))
	b, err := io.ReadAll(c.r)
	if err != nil {
		t.Fatalf("not closed: %v", err)
	}
	if n := strings.Count(string(b), "error: slow down") + strings.Count(string(b), "flooding"); n != 3 {
		t.Fatalf("%d slow downs before the close, want 3:\n%s", n, b)
	}
}

// ---- a client that does not read ----

func TestProbeSlowReaderDoesNotStallRoom(t *testing.T) {
	s := standalone(t)
	stuckTCP := dialTCP(t, s.tcp.String())
	stuckTCP.c.(*net.TCPConn).SetReadBuffer(4096)
	stuckTCP.login("stuck")
	stuckTCP.send("/join lobby")
	stuckWS := dialWS(t, s)
	stuckWS.hello("stuck2", sess("s"))
	stuckWS.join("lobby", nil)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	text := strings.Repeat("z", 4000)
	const n = 1000
	got := make(chan int, 1)
	go func() {
		count := 0
		b.c.SetReadDeadline(time.Now().Add(2 * patience))
		for count < n {
			_, m, err := b.c.ReadMessage()
			if err != nil {
				break
			}
			if strings.Contains(string(m), `"type":"line"`) {
				count++
			}
		}
		got <- count
	}()
	for i := 0; i < n; i += 50 {
		for j := i; j < i+50; j++ {
			a.send("say", map[string]any{"room": "lobby", "text": text, "key": fmt.Sprint(j)})
		}
		for j := i; j < i+50; j++ {
			mustBe(t, a.answer(fmt.Sprint(j)), "ack")
		}
	}
	if c := <-got; c != n {
		t.Fatalf("bob got %d of %d lines while two clients did not read", c, n)
	}
}

// ---- WebSocket framing ----

func TestProbeWSBinaryFrame(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.c.WriteMessage(gorilla.BinaryMessage, []byte(`{"type":"who","data":{"room":"lobby","ref":"bin"}}`))
	a.send("who", map[string]any{"room": "lobby", "ref": "txt"})
	for {
		e := a.next()
		if e.field("ref") == "txt" {
			return
		}
	}
}

func TestProbeWSUndecodable(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	for _, m := range []string{`{not json`, `{"type":"dance","data":{"ref":"d"}}`, `[]`, `{"type":"say","data":"x"}`} {
		a.c.WriteMessage(gorilla.TextMessage, []byte(m))
		mustBe(t, a.next(), "error")
	}
	a.send("rooms", map[string]any{"ref": "r"})
	mustBe(t, a.answer("r"), "roomlist")
}

// sayFrame is a say message padded to exactly size bytes.
func sayFrame(size int) []byte {
	head := `{"type":"say","data":{"room":"lobby","key":"big","text":"`
	tail := `"}}`
	return []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail)
}

func TestProbeWSMessage64KiB(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	a.c.WriteMessage(gorilla.TextMessage, sayFrame(64<<10))
	if e := a.answer("big"); e.Type != "error" {
		t.Fatalf("a 64 KiB message: %s", e.Type)
	}
	a.send("rooms", map[string]any{"ref": "r"})
	mustBe(t, a.answer("r"), "roomlist")
	a.c.WriteMessage(gorilla.TextMessage, sayFrame(64<<10+1))
	a.c.SetReadDeadline(time.Now().Add(patience))
	for {
		_, b, err := a.c.ReadMessage()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("not closed after a message over 64 KiB")
			}
			return
		}
		if strings.Contains(string(b), `"ack"`) {
			t.Fatalf("message over 64 KiB acted on: %.100s", b)
		}
	}
}

// ---- TCP ----

func TestProbeTCPLine64KiB(t *testing.T) {
	s := standalone(t)
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/join lobby")
	c.until("* in lobby: ann")
	c.send(strings.Repeat("x", 64<<10)) // a line of 64 KiB (its newline besides)
	if got := c.next(); !strings.HasPrefix(got, "error:") {
		t.Fatalf("a 64 KiB line: %.80q", got)
	}
	c.send("/who")
	c.expect("* in lobby: ann")
	c.send(strings.Repeat("x", 64<<10+1))
	c.closed()
}

func TestProbeTCPLine4096(t *testing.T) {
	s := standalone(t)
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/join lobby")
	c.until("* in lobby: ann")
	ok := strings.Repeat("x", 4096)
	c.send(ok)
	c.expect("[lobby] <ann> " + ok)
	c.send(ok + "y")
	if got := c.next(); !strings.HasPrefix(got, "error:") {
		t.Fatalf("4097-byte line: %.80q", got)
	}
}

func TestProbeTCPCRLF(t *testing.T) {
	s := standalone(t)
	c := dialTCP(t, s.tcp.String())
	io.WriteString(c.c, "/nick ann\r\n")
	c.expect("* welcome, ann")
	io.WriteString(c.c, "/join lobby\r\n")
	c.until("* in lobby: ann")
	io.WriteString(c.c, "hello\r\n")
	c.expect("[lobby] <ann> hello")
	io.WriteString(c.c, "/who\r\n")
	c.expect("* in lobby: ann")
}

func TestProbeTCPInvalidUTF8(t *testing.T) {
	s := standalone(t)
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/join lobby")
	c.until("* in lobby: ann")
	c.send("bad \xff\xfe bytes")
	if got := c.next(); !strings.HasPrefix(got, "error:") {
		t.Fatalf("a line that is not UTF-8: %q", got)
	}
}

func TestProbeTCPControlCharacters(t *testing.T) {
	s := standalone(t)
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/join lobby")
	c.until("* in lobby: ann")
	for _, bad := range []string{"esc \x1b[2J", "bell \a", "csi \u009b2J"} {
		c.send(bad)
		if got := c.next(); !strings.HasPrefix(got, "error:") {
			t.Errorf("line %q: %q", bad, got)
		}
	}
}

func TestProbeTCPDoubleSlashAndEmpty(t *testing.T) {
	s := standalone(t)
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/join lobby")
	c.until("* in lobby: ann")
	c.send("")
	c.send("//me waves")
	c.expect("[lobby] <ann> /me waves")
	c.send("/nosuchcommand")
	if got := c.next(); !strings.HasPrefix(got, "error:") {
		t.Fatalf("unknown command: %q", got)
	}
}

func TestProbeTCPSayWithoutRoom(t *testing.T) {
	s := standalone(t)
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("hello?")
	if got := c.next(); !strings.HasPrefix(got, "error:") {
		t.Fatalf("a line before /join: %q", got)
	}
	c.send("/join lobby")
	c.until("* in lobby: ann")
	c.send("/leave")
	c.send("hello?")
	for {
		got := c.next()
		if strings.HasPrefix(got, "error:") {
			break
		}
		if strings.HasPrefix(got, "[lobby]") {
			t.Fatalf("a line after /leave was said: %q", got)
		}
	}
}

func TestProbeTCPJoinLeavesCurrent(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("one", nil)
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/join one")
	c.until("* in one: ann, bob")
	b.expect("presence", `{"room":"one","nick":"ann","joined":true}`)
	c.send("/join two")
	c.until("* in two: ann")
	b.expect("presence", `{"room":"one","nick":"ann","joined":false}`)
	b.say("one", "not for ann", "1")
	c.send("/who one")
	c.expect("* in one: bob")
}

func TestProbeTCPJoinHistoryCount(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("bob", sess("b"))
	a.join("lobby", nil)
	a.sayN("lobby", 3, "l")
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/join Lobby")
	c.expect("[lobby] <bob> l0")
	c.expect("[lobby] <bob> l1")
	c.expect("[lobby] <bob> l2")
	c.expect("* now in lobby (3 earlier lines above)")
	c.expect("* in lobby: ann, bob")
}

func TestProbeTCPMsgSelfAndCase(t *testing.T) {
	s := standalone(t)
	a := dialTCP(t, s.tcp.String())
	a.login("Ann")
	b := dialTCP(t, s.tcp.String())
	b.login("bob")
	b.send("/msg ANN hi there")
	b.expect("-> ANN: hi there")
	a.expect("*bob* hi there")
	a.send("/msg ann note to self")
	lines := []string{a.next(), a.next()}
	if !(contains(lines, "*Ann* note to self") && (contains(lines, "-> ann: note to self") || contains(lines, "-> Ann: note to self"))) {
		t.Fatalf("msg to self: %q", lines)
	}
	b.send("/msg nobody hi")
	b.expect("error: no such nick: nobody")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestProbeTCPRooms(t *testing.T) {
	s := standalone(t)
	a := dialTCP(t, s.tcp.String())
	a.login("ann")
	a.send("/join lobby")
	a.until("* in lobby: ann")
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	b.join("games", nil)
	a.poll("/rooms", "* rooms: lobby (2), games (1)")
}

// ---- a cluster ----

func TestProbeClusterNickUnique(t *testing.T) {
	n1 := firstNode(t)
	n2 := nextNode(t, n1, 2)
	a := dialWS(t, n1)
	a.hello("Ann", sess("a"))
	b := dialWS(t, n2)
	if e := b.tryHello("aNN", sess("b")); e.Type != "error" {
		t.Fatalf("aNN on node 2 while Ann holds it on node 1: %s %s", e.Type, e.Data)
	}
	c := dialTCP(t, n2.tcp.String())
	c.send("/nick ann")
	if got := c.next(); !strings.HasPrefix(got, "error:") {
		t.Fatalf("/nick ann on node 2: %q", got)
	}
	// freed on node 1, free on node 2
	a.c.Close()
	pollHello(t, n2, "ann", sess("c"))
}

func TestProbeClusterMsgHistoryWho(t *testing.T) {
	n1 := firstNode(t)
	n2 := nextNode(t, n1, 2)
	a := dialWS(t, n1)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	pos := a.sayN("lobby", 3, "l")
	b := dialWS(t, n2)
	b.hello("bob", sess("b"))
	r := b.join("lobby", nil)
	if len(r.lines) != 3 || r.joined.field("pos") != pos[2] {
		t.Fatalf("history on node 2: %d lines, joined %s", len(r.lines), r.joined.Data)
	}
	if !sameJSON([]byte(r.members.field("nicks")), `["ann","bob"]`) {
		t.Fatalf("members on node 2: %s", r.members.Data)
	}
	b.send("msg", map[string]any{"to": "ANN", "text": "across", "ref": "m"})
	mustBe(t, b.answer("m"), "sent")
	a.until("private", func(e envelope) bool { return e.field("text") == "across" })
	mustBe(t, b.say("lobby", "from two", "x"), "ack")
	a.lineWith("lobby", "from two")
	pollRooms(t, b, map[string]int{"lobby": 2})
}

func TestProbeClusterTakeOverAcrossNodes(t *testing.T) {
	n1 := firstNode(t)
	n2 := nextNode(t, n1, 2)
	a := dialWS(t, n1)
	a.hello("ann", sess("a"))
	b := dialWS(t, n2)
	b.hello("ann", sess("a")) // the same session, on another node
	code, reason := a.closeCode()
	if code != 4001 || !strings.Contains(reason, "replaced") {
		t.Fatalf("old connection closed with %d %q", code, reason)
	}
}

func TestProbeClusterPresenceAcrossNodes(t *testing.T) {
	n1 := firstNode(t)
	n2 := nextNode(t, n1, 2)
	b := dialWS(t, n1)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	c := dialTCP(t, n2.tcp.String())
	c.login("carol")
	c.send("/join lobby")
	c.until("* in lobby: bob, carol")
	b.until("presence", func(e envelope) bool { return e.field("nick") == "carol" && e.field("joined") == "true" })
	c.c.Close()
	b.until("presence", func(e envelope) bool { return e.field("nick") == "carol" && e.field("joined") == "false" })
}

// ---- more unlucky orders ----

// A join then the connection gone at once: no ghost member stays.
func TestProbeJoinThenCloseNoGhost(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	for i := 0; i < 5; i++ {
		a := dialWS(t, s)
		a.send("hello", map[string]any{"nick": fmt.Sprint("ghost", i), "session": sess(fmt.Sprint("g", i)), "ref": "h"})
		a.send("join", map[string]any{"room": "lobby", "ref": "j"})
		a.c.Close()
	}
	deadline := time.Now().Add(patience)
	for {
		b.send("who", map[string]any{"room": "lobby", "ref": "w"})
		e := b.answer("w")
		if sameJSON([]byte(e.field("nicks")), `["bob"]`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("who after the ghosts closed: %s", e.Data)
		}
		time.Sleep(30 * time.Millisecond)
	}
	pollRooms(t, b, map[string]int{"lobby": 1})
}

// A join and a leave at once: no ghost member.
func TestProbeJoinLeavePipelinedNoGhost(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("join", map[string]any{"room": "lobby", "ref": "j"})
	a.send("leave", map[string]any{"room": "lobby", "ref": "l"})
	mustBe(t, a.answer("l"), "left")
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	deadline := time.Now().Add(patience)
	for {
		b.send("who", map[string]any{"room": "lobby", "ref": "w"})
		e := b.answer("w")
		if sameJSON([]byte(e.field("nicks")), `[]`) || e.field("nicks") == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("who after join+leave: %s", e.Data)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// A leave then a close: one presence note, not two.
func TestProbePresenceLeaveThenCloseOnce(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	b.expect("presence", `{"room":"lobby","nick":"ann","joined":true}`)
	a.send("leave", map[string]any{"room": "lobby", "ref": "l"})
	a.answer("l")
	a.c.Close()
	b.expect("presence", `{"room":"lobby","nick":"ann","joined":false}`)
	c := dialWS(t, s)
	c.hello("carol", sess("c"))
	c.join("lobby", nil)
	b.expect("presence", `{"room":"lobby","nick":"carol","joined":true}`)
}

// 17 joins at once: exactly 16 rooms.
func TestProbeSeventeenJoinsAtOnce(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	for i := 1; i <= 17; i++ {
		a.send("join", map[string]any{"room": fmt.Sprint("r", i), "ref": fmt.Sprint("j", i)})
	}
	ok, refused := 0, 0
	answers := map[string]string{}
	a.c.SetReadDeadline(time.Now().Add(patience))
	for len(answers) < 17 {
		_, m, err := a.c.ReadMessage()
		if err != nil {
			t.Fatalf("after answers %v: %v", answers, err)
		}
		var e envelope
		json.Unmarshal(m, &e)
		if e.Type != "joined" && e.Type != "error" {
			continue
		}
		if _, dup := answers[e.field("ref")]; dup || !strings.HasPrefix(e.field("ref"), "j") {
			t.Fatalf("answer %s %s (after %v)", e.Type, e.Data, answers)
		}
		answers[e.field("ref")] = e.Type
		if e.Type == "joined" {
			ok++
		} else {
			refused++
		}
	}
	if ok != 16 || refused != 1 {
		t.Fatalf("17 joins at once: %d joined, %d refused", ok, refused)
	}
}

func TestProbeJoinThenSayPipelined(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("join", map[string]any{"room": "lobby", "ref": "j"})
	a.send("say", map[string]any{"room": "lobby", "text": "quick", "key": "1"})
	mustBe(t, a.answer("1"), "ack")
}

func TestProbeJoinLastNegative(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("join", map[string]any{"room": "lobby", "last": -1, "ref": "j"})
	if e := a.answer("j"); e.Type != "joined" && e.Type != "error" {
		t.Fatalf("last -1: %s", e.Type)
	}
}

// Two nodes, the same nick at once: exactly one wins.
func TestProbeClusterNickRace(t *testing.T) {
	n1 := firstNode(t)
	n2 := nextNode(t, n1, 2)
	for round := 0; round < 5; round++ {
		nick := fmt.Sprint("Racer", round)
		a, b := dialWS(t, n1), dialWS(t, n2)
		ma, _ := json.Marshal(map[string]any{"type": "hello", "data": map[string]any{"nick": nick, "session": sess(fmt.Sprint("a", round)), "ref": "h"}})
		mb, _ := json.Marshal(map[string]any{"type": "hello", "data": map[string]any{"nick": strings.ToLower(nick), "session": sess(fmt.Sprint("b", round)), "ref": "h"}})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); a.c.WriteMessage(gorilla.TextMessage, ma) }()
		go func() { defer wg.Done(); b.c.WriteMessage(gorilla.TextMessage, mb) }()
		wg.Wait()
		ea, eb := a.answer("h"), b.answer("h")
		if (ea.Type == "welcome") == (eb.Type == "welcome") {
			t.Fatalf("round %d: node 1 %s %s, node 2 %s %s; want exactly one welcome", round, ea.Type, ea.Data, eb.Type, eb.Data)
		}
	}
}

// A node stopping: its members leave the lists, its nicks are free.
func TestProbeClusterNodeStops(t *testing.T) {
	n1 := firstNode(t)
	n2 := nextNode(t, n1, 2)
	b := dialWS(t, n1)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	a := dialWS(t, n2)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	b.until("presence", func(e envelope) bool { return e.field("nick") == "ann" && e.field("joined") == "true" })
	n2.stop()
	b.until("presence", func(e envelope) bool { return e.field("nick") == "ann" && e.field("joined") == "false" })
	pollHello(t, n1, "ann", sess("c"))
	b.send("who", map[string]any{"room": "lobby", "ref": "w"})
	if e := b.answer("w"); !sameJSON([]byte(e.field("nicks")), `["bob"]`) {
		t.Fatalf("who after node 2 stopped: %s", e.Data)
	}
}

func TestProbeTCPOneEarlierLine(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("bob", sess("b"))
	a.join("lobby", nil)
	a.sayN("lobby", 1, "l")
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/join lobby")
	c.expect("[lobby] <bob> l0")
	c.expect("* now in lobby (1 earlier line above)")
}

func TestProbeTCPMissingArguments(t *testing.T) {
	s := standalone(t)
	c := dialTCP(t, s.tcp.String())
	for _, cmd := range []string{"/nick", "/nick two words", "/join", "/msg", "/msg bob"} {
		c.send(cmd)
		if got := c.next(); !strings.HasPrefix(got, "error:") {
			t.Errorf("%q: %q", cmd, got)
		}
	}
	c.login("ann")
}

func TestProbeTCPRejoinSameRoom(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	b.join("lobby", nil)
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/join lobby")
	c.until("* in lobby: ann, bob")
	c.send("/join lobby")
	c.until("* in lobby: ann, bob")
	c.send("still here")
	c.until("[lobby] <ann> still here")
	c.send("/who")
	c.expect("* in lobby: ann, bob")
}

// The refusal of flood control says which message it refuses.
func TestProbeFloodErrorCarriesKeyAndRef(t *testing.T) {
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true, limits: limits{rate: 0.001, burst: 2, strikes: 100}})
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	a.send("say", map[string]any{"room": "lobby", "text": "b", "key": "kk"})
	if e := a.until("error", nil); e.field("key") != "kk" || e.field("room") != "lobby" {
		t.Errorf("refused say: error %s, want key kk and room lobby", e.Data)
	}
	a.send("who", map[string]any{"room": "lobby", "ref": "rr"})
	if e := a.until("error", nil); e.field("ref") != "rr" {
		t.Errorf("refused who: error %s, want ref rr", e.Data)
	}
}

// ---- nick changes ----

func TestProbeNickChangeOwnCase(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("nick", map[string]any{"nick": "Ann", "ref": "n"})
	if e := a.answer("n"); e.Type != "welcome" || e.field("nick") != "Ann" {
		t.Fatalf("ann becoming Ann: %s %s", e.Type, e.Data)
	}
	a.send("nick", map[string]any{"nick": "Ann", "ref": "n2"})
	if e := a.answer("n2"); e.Type != "welcome" {
		t.Fatalf("Ann becoming Ann again: %s %s", e.Type, e.Data)
	}
}

// A nick change refused (the nick is taken) keeps the old nick.
func TestProbeNickChangeRefusedKeepsOld(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	a.send("nick", map[string]any{"nick": "BOB", "ref": "n"})
	mustBe(t, a.answer("n"), "error")
	c := dialWS(t, s)
	if e := c.tryHello("ann", sess("c")); e.Type != "error" {
		t.Fatalf("ann was free after a refused nick change: %s", e.Data)
	}
	b.send("msg", map[string]any{"to": "ann", "text": "still you?", "ref": "m"})
	mustBe(t, b.answer("m"), "sent")
	a.until("private", nil)
	a.say("lobby", "me", "1")
	if e := a.lineWith("lobby", "me"); e.field("from") != "ann" {
		t.Fatalf("line from %s", e.field("from"))
	}
}

func TestProbeLineFromAfterNickChange(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	a.send("nick", map[string]any{"nick": "anna", "ref": "n"})
	mustBe(t, a.answer("n"), "welcome")
	a.say("lobby", "who am i", "1")
	if e := a.lineWith("lobby", "who am i"); e.field("from") != "anna" {
		t.Fatalf("line from %s after the change to anna", e.field("from"))
	}
	c := dialTCP(t, s.tcp.String())
	c.login("carl")
	c.send("/join lobby")
	c.until("* in lobby: anna, carl")
	c.send("/nick carlo")
	c.expect("* welcome, carlo")
	c.send("hi")
	c.until("[lobby] <carlo> hi")
}

// Two new connections of the same session take the nick back at once:
// in the end one connection holds it.
func TestProbeTakeOverRace(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	b, c := dialWS(t, s), dialWS(t, s)
	m, _ := json.Marshal(map[string]any{"type": "hello", "data": map[string]any{"nick": "ann", "session": sess("a"), "ref": "h"}})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); b.c.WriteMessage(gorilla.TextMessage, m) }()
	go func() { defer wg.Done(); c.c.WriteMessage(gorilla.TextMessage, m) }()
	wg.Wait()
	a.closeCode()
	// each reader reports whether it got a private message before the end
	d := dialWS(t, s)
	d.hello("dave", sess("d"))
	got := make(chan string, 2)
	for _, w := range []*wsClient{b, c} {
		go func() {
			w.c.SetReadDeadline(time.Now().Add(patience / 2))
			for {
				_, msg, err := w.c.ReadMessage()
				if err != nil {
					got <- "end"
					return
				}
				if strings.Contains(string(msg), `"private"`) {
					got <- "private"
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(patience / 4)
	for time.Now().Before(deadline) {
		d.send("msg", map[string]any{"to": "ann", "text": "which?", "ref": "m"})
		if d.answer("m").Type == "sent" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r1, r2 := <-got, <-got
	if (r1 == "private") == (r2 == "private") {
		t.Fatalf("after two take-overs at once: %s and %s; want exactly one holder", r1, r2)
	}
}

// ---- errors say which request ----

func TestProbeDecodeErrorCarriesRef(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.c.WriteMessage(gorilla.TextMessage, []byte(`{"type":"join","data":{"room":"lobby","last":"ten","ref":"j1"}}`))
	if e := a.next(); e.Type != "error" || e.field("ref") != "j1" {
		t.Fatalf("join with last of the wrong type: %s %s, want error with ref j1", e.Type, e.Data)
	}
}

func TestProbeWhoBadRoomCarriesRef(t *testing.T) {
	s := standalone(t)
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.send("who", map[string]any{"room": "bad room", "ref": "w"})
	mustBe(t, a.answer("w"), "error")
	a.send("leave", map[string]any{"room": "bad room", "ref": "l"})
	if e := a.answer("l"); e.Type != "error" && e.Type != "left" {
		t.Fatalf("leave bad room: %s", e.Type)
	}
}

// ---- history age ----

func TestProbeHistoryAge(t *testing.T) {
	s := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, standalone: true, limits: testLimits, history: 100, historyAge: time.Second})
	a := dialWS(t, s)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	pos := a.sayN("lobby", 3, "l")
	b := dialWS(t, s)
	b.hello("bob", sess("b"))
	deadline := time.Now().Add(patience)
	for {
		r := b.join("lobby", nil)
		b.send("leave", map[string]any{"room": "lobby", "ref": "l"})
		b.answer("l")
		if len(r.lines) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lines older than -history-age still replayed: %d", len(r.lines))
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := b.join("lobby", map[string]any{"since": pos[0]})
	if !r.gap || len(r.lines) != 0 {
		t.Fatalf("since an expired line: gap %v, %d lines; want gap", r.gap, len(r.lines))
	}
}

// ---- a cluster: idempotency and positions across nodes ----

func TestProbeClusterResendOnOtherNodeIsDup(t *testing.T) {
	n1 := firstNode(t)
	n2 := nextNode(t, n1, 2)
	a := dialWS(t, n1)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	first := a.say("lobby", "once", "k1")
	mustBe(t, first, "ack")
	a2 := dialWS(t, n2)
	a2.hello("ann", sess("a")) // takes over from node 1
	a2.join("lobby", map[string]any{"since": first.field("pos")})
	again := a2.say("lobby", "once", "k1")
	if again.Type != "ack" || again.field("dup") != "true" || again.field("pos") != first.field("pos") {
		t.Fatalf("resend on node 2: %s %s, want dup at %s", again.Type, again.Data, first.field("pos"))
	}
}

func TestProbeClusterSinceAcrossNodes(t *testing.T) {
	n1 := firstNode(t)
	n2 := nextNode(t, n1, 2)
	a := dialWS(t, n1)
	a.hello("ann", sess("a"))
	a.join("lobby", nil)
	pos := a.sayN("lobby", 5, "l")
	b := dialWS(t, n2)
	b.hello("bob", sess("b"))
	r := b.join("lobby", map[string]any{"since": pos[2]})
	if r.gap || len(r.lines) != 2 || r.lines[0].field("pos") != pos[3] || r.joined.field("count") != "2" {
		t.Fatalf("since %s on node 2: gap %v, %d lines, joined %s", pos[2], r.gap, len(r.lines), r.joined.Data)
	}
}

// Messages after a refused hello are refused, each with an answer that
// says which (a client waiting on a ref does not wait forever), even
// beyond the 256 that may wait.
func TestProbeManyPipelinedAfterRefusedHello(t *testing.T) {
	s := standalone(t)
	b := dialWS(t, s)
	b.hello("ann", sess("b"))
	a := dialWS(t, s)
	a.send("hello", map[string]any{"nick": "ann", "session": sess("a"), "ref": "h"})
	const n = 300
	for i := 0; i < n; i++ {
		a.send("who", map[string]any{"room": "lobby", "ref": fmt.Sprint("w", i)})
	}
	mustBe(t, a.answer("h"), "error")
	seen := map[string]bool{}
	a.c.SetReadDeadline(time.Now().Add(patience))
	for len(seen) < n {
		_, m, err := a.c.ReadMessage()
		if err != nil {
			t.Fatalf("after %d answers: %v", len(seen), err)
		}
		var e envelope
		json.Unmarshal(m, &e)
		if r := e.field("ref"); strings.HasPrefix(r, "w") {
			seen[r] = true
		}
	}
}

func TestProbeTCPLeaveWithoutRoom(t *testing.T) {
	s := standalone(t)
	c := dialTCP(t, s.tcp.String())
	c.login("ann")
	c.send("/leave")
	c.send("/who")
	for i := 0; i < 2; i++ {
		if got := c.next(); !strings.HasPrefix(got, "error:") && !strings.HasPrefix(got, "*") {
			t.Fatalf("/leave or /who without a room: %q", got)
		}
	}
	c.send("/help")
	if got := c.next(); got == "" {
		t.Fatal("no help")
	}
}
