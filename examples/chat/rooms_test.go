package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoalrt/shoal/cluster"
)

// TestHelperChatNode is the child process of startChatChild, not a test: a
// chat server that joins the cluster at $SHOAL_NATS as node $SHOAL_NODE,
// prints "tcp=<address>" once it knows node 1, and runs until its standard
// input closes (its parent is gone) or it is killed.
func TestHelperChatNode(t *testing.T) {
	if os.Getenv("SHOAL_CHILD") != "1" {
		t.Skip("the child process of the tests that kill a chat node")
	}
	node, err := strconv.Atoi(os.Getenv("SHOAL_NODE"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 1, node: node, nats: os.Getenv("SHOAL_NATS"), heartbeat: 100 * time.Millisecond}
	err = serve(context.Background(), cfg, func(_, tcp net.Addr, n *cluster.Node) {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := n.WaitNodes(ctx, 1); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("tcp=%s\n", tcp)
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0) // not a test: no leak check, no report
	})
	t.Fatal(err)
}

// startChatChild runs a chat server as node 2 of the cluster at url in a
// child process and returns its TCP address and a function that kills it
// with SIGKILL (no goodbye: a crash); it is killed when the test ends in
// any case.
func startChatChild(t *testing.T, url string) (tcp string, kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChatNode$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SHOAL_CHILD=1", "SHOAL_NATS="+url, "SHOAL_NODE=2")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill = func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			stdin.Close()
		}
	}
	t.Cleanup(kill)
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "tcp="); ok {
			return addr, kill
		}
	}
	t.Fatalf("the child chat node never got ready: %v", lines.Err())
	return "", nil
}

// members asks c's room who is in it until the answer is want (the other
// nodes' members arrive a moment after they join), skipping other
// messages, and fails after patience.
func members(t *testing.T, c tcpClient, want ...string) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		c.send(t, "Who", `{}`)
		m := c.next(t)
		for m.Type != "Members" {
			m = c.next(t)
		}
		var got Members
		if err := json.Unmarshal(m.Data, &got); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(got.Names, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("members of %s: %v, want %v", got.Room, got.Names, want)
		}
		<-time.After(20 * time.Millisecond) // ask again
	}
}

// A chat node killed with SIGKILL leaves no ghost: the members on the
// surviving node hear that each of its people left their room (and only
// the rooms they were in), and the rooms no longer list them.
func TestChatKilledNodeLeavesRooms(t *testing.T) {
	one := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, node: 1, natsListen: "127.0.0.1:0", heartbeat: 100 * time.Millisecond})
	tcp2, kill := startChatChild(t, one.node.ClientURL())

	ann := dialTCP(t, one.tcp.String())
	dan := dialTCP(t, one.tcp.String())
	bob := dialTCP(t, tcp2)
	cat := dialTCP(t, tcp2)
	for _, j := range []struct {
		c          tcpClient
		room, name string
	}{{ann, "lobby", "ann"}, {dan, "den", "dan"}, {bob, "lobby", "bob"}, {cat, "den", "cat"}} {
		j.c.send(t, "Join", `{"Room":"`+j.room+`","Name":"`+j.name+`"}`)
		expect(t, j.c, "Joined", `{"Room":"`+j.room+`","Name":"`+j.name+`"}`)
	}
	members(t, ann, "ann", "bob")
	members(t, dan, "cat", "dan")
	members(t, bob, "ann", "bob") // node 2 knows node 1's members too
	members(t, cat, "cat", "dan")

	kill()
	joined := func(m wire) bool { return m.Type == "Joined" || m.Type == "Members" } // the joins of node 2's members, if their broadcasts arrived
	expectAfter(t, ann, joined, "Left", `{"Room":"lobby","Name":"bob"}`)
	expectAfter(t, dan, joined, "Left", `{"Room":"den","Name":"cat"}`)
	members(t, ann, "ann")
	members(t, dan, "dan")
	// Nothing else was announced: ann's next message is her own line.
	ann.send(t, "Say", `{"Text":"anyone?"}`)
	expect(t, ann, "Said", `{"Room":"lobby","From":"ann","Text":"anyone?"}`)
}

// A chat node that stops cleanly says goodbye before its members close (so
// their own Left cannot cross any more): the other node announces each of
// them, once.
func TestChatStoppedNodeLeavesRooms(t *testing.T) {
	one := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, node: 1, natsListen: "127.0.0.1:0", heartbeat: 100 * time.Millisecond})
	two := startNode(t, config{web: "127.0.0.1:0", tcp: "127.0.0.1:0", shards: 2, node: 2, nats: one.node.ClientURL(), heartbeat: 100 * time.Millisecond})
	ann := dialTCP(t, one.tcp.String())
	bob := dialTCP(t, two.tcp.String())
	ann.send(t, "Join", `{"Room":"lobby","Name":"ann"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"ann"}`)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
	members(t, ann, "ann", "bob")

	two.stop()
	joined := func(m wire) bool { return m.Type == "Joined" || m.Type == "Members" }
	expectAfter(t, ann, joined, "Left", `{"Room":"lobby","Name":"bob"}`)
	members(t, ann, "ann")
	ann.send(t, "Say", `{"Text":"anyone?"}`)
	expect(t, ann, "Said", `{"Room":"lobby","From":"ann","Text":"anyone?"}`)
}

// Who lists a room as members come, move and go, on a server alone.
func TestChatWho(t *testing.T) {
	_, tcp := start(t)
	ann := dialTCP(t, tcp.String())
	bob := dialTCP(t, tcp.String())
	ann.send(t, "Who", `{}`)
	expect(t, ann, "Problem", `{"Text":"join a room first"}`)
	ann.send(t, "Join", `{"Room":"lobby","Name":"ann"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"ann"}`)
	bob.send(t, "Join", `{"Room":"lobby","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"lobby","Name":"bob"}`)
	expect(t, ann, "Joined", `{"Room":"lobby","Name":"bob"}`)
	ann.send(t, "Who", `{}`)
	expect(t, ann, "Members", `{"Room":"lobby","Names":["ann","bob"]}`)
	bob.send(t, "Join", `{"Room":"den","Name":"bob"}`)
	expect(t, bob, "Joined", `{"Room":"den","Name":"bob"}`)
	bob.send(t, "Who", `{}`)
	expect(t, bob, "Members", `{"Room":"den","Names":["bob"]}`)
	expect(t, ann, "Left", `{"Room":"lobby","Name":"bob"}`)
	ann.send(t, "Who", `{}`)
	expect(t, ann, "Members", `{"Room":"lobby","Names":["ann"]}`)
	bob.c.Close()
	members(t, ann, "ann")
}
