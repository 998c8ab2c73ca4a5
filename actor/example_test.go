package actor_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"

	gorilla "github.com/gorilla/websocket"
	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/shoalrt/shoal/codec/websocket"
)

// shout answers every line with the line in capitals.
type shout struct{}

func (shout) Receive(ctx *actor.Context) {
	switch msg := ctx.Message().(type) {
	case actor.Opened:
		ctx.Write("hello")
	case []byte:
		ctx.Write(strings.ToUpper(string(msg)))
	case actor.Closed:
		// msg.Err says why; nil for a clean close
	}
}

// A line-based server: the codec cuts lines, the actor answers with typed
// writes that the codec frames again.
func Example() {
	sys, err := actor.NewSystem(actor.Shards(2))
	if err != nil {
		panic(err)
	}
	l, err := sys.Listen("tcp://127.0.0.1:0", codec.Bytes(codec.Line()), func() actor.Actor { return shout{} })
	if err != nil {
		panic(err)
	}
	if err := sys.Start(); err != nil {
		panic(err)
	}
	defer sys.Stop(context.Background())

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "ahoy\n")
	r := bufio.NewReader(c)
	for i := 0; i < 2; i++ {
		line, _ := r.ReadString('\n')
		fmt.Print(line)
	}
	// Output:
	// hello
	// AHOY
}

// System.Send pushes a message to a connection's actor from any goroutine.
func ExampleSystem_Send() {
	ids := make(chan actor.ID, 1)
	sys, _ := actor.NewSystem()
	l, _ := sys.Listen("127.0.0.1:0", codec.Bytes(codec.Line()), func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			switch msg := ctx.Message().(type) {
			case actor.Opened:
				ids <- ctx.Self()
			case string:
				ctx.Write("news: " + msg)
			}
		})
	})
	sys.Start()
	defer sys.Stop(context.Background())

	c, _ := net.Dial("tcp", l.Addr().String())
	defer c.Close()
	sys.Send(<-ids, "the tide is in")
	line, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Print(line)
	// Output:
	// news: the tide is in
}

// IDs print and parse as node:shard:slot:generation.
func ExampleParseID() {
	id, _ := actor.ParseID("0:1:42:7")
	fmt.Println(id, id.Shard(), id.Slot(), id.Gen())
	// Output:
	// 0:1:42:7 1 42 7
}

// A WebSocket listener is a listener with a WebSocket codec: the handshake,
// frames, pings and compression run on the shard, and the actor sees typed
// messages. A gorilla/websocket client stands in for a browser here.
func ExampleSystem_Listen_webSocket() {
	type Say struct{ Text string }
	sys, _ := actor.NewSystem(actor.Shards(1))
	ws := websocket.JSON(websocket.Options{Path: "/ws", Compression: true}, Say{})
	l, _ := sys.Listen("tcp://127.0.0.1:0", ws, func() actor.Actor {
		return actor.ReceiveFunc(func(ctx *actor.Context) {
			if m, ok := ctx.Message().(Say); ok {
				ctx.Write(Say{Text: strings.ToUpper(m.Text)}) // a JSON text frame
			}
		})
	})
	sys.Start()
	defer sys.Stop(context.Background())

	conn, _, err := gorilla.DefaultDialer.Dial("ws://"+l.Addr().String()+"/ws", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	conn.WriteMessage(gorilla.TextMessage, []byte(`{"type":"Say","data":{"Text":"hi"}}`))
	_, reply, _ := conn.ReadMessage()
	fmt.Println(string(reply))
	// Output: {"type":"Say","data":{"Text":"HI"}}
}
