package main

import (
	"strings"
	"testing"
)

// Every test of the protocol runs twice: on a standalone server (history,
// presence and names in memory) and on node 1 of a cluster (in JetStream).
var modes = []struct {
	name  string
	start func(*testing.T) server
}{{"standalone", standalone}, {"cluster", firstNode}}

func eachMode(t *testing.T, f func(t *testing.T, s server)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m.start(t)) })
	}
}

// A person in nc: a nick, a room, lines, the commands, errors.
func TestTCPSession(t *testing.T) {
	eachMode(t, func(t *testing.T, s server) {
		ann := dialTCP(t, s.tcp.String())
		ann.send("/join lobby")
		ann.expect("error: choose a nick first (/nick NAME)")
		ann.send("hello?")
		ann.expect("error: join a room first (/join ROOM)")
		ann.send("/nick a b")
		ann.expect("error: usage: /nick NAME")
		ann.send("/nick <script>")
		ann.expect("error: a nick is letters, digits, _ - and . (starting with a letter or digit)")
		ann.send("/nick " + strings.Repeat("a", 25))
		ann.expect("error: a nick is 1 to 24 characters")
		ann.login("Ann")
		ann.send("/join Lobby!")
		ann.expect("error: a room name is letters a-z, digits, _ - and .")
		ann.send("/join Lobby")
		ann.expect("* now in lobby (0 earlier lines above)")
		ann.expect("* in lobby: Ann")
		ann.send("hello, room")
		ann.expect("[lobby] <Ann> hello, room")
		ann.send("//slash at the start")
		ann.expect("[lobby] <Ann> /slash at the start")
		ann.send("/who")
		ann.expect("* in lobby: Ann")
		ann.send("/rooms")
		ann.expect("* rooms: lobby (1)")
		ann.send("/frob x")
		ann.expect("error: unknown command /frob (try /help)")
		ann.send("/msg nobody hi")
		ann.expect("error: no such nick: nobody")
		ann.send("/msg")
		ann.expect("error: usage: /msg NICK TEXT")
		ann.send("/help")
		for _, u := range usage {
			ann.expect("* " + u)
		}
		ann.send(strings.Repeat("x", maxText+1))
		ann.expect("error: a line is at most 4096 bytes")
		ann.send("/leave")
		ann.expect("* you left lobby")
		ann.send("/leave")
		ann.expect("error: you are in no room")
		ann.poll("/rooms", "* no rooms with people in them") // presence is written in the background
		ann.send("/quit")
		ann.expect("* bye")
		ann.closed()
	})
}
