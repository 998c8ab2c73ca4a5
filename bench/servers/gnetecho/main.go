// Command gnetecho is gnet v2's idiomatic echo server, the peer Shoal is
// compared with by bench/cmd/compare: OnTraffic takes everything readable
// with c.Next(-1) and writes it back with c.Write.
//
//	gnetecho -addr 127.0.0.1:9001 [-multicore]
package main

import (
	"flag"
	"log"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// echoServer echoes every byte it receives. Its callbacks run on gnet's event
// loops; it holds no state.
type echoServer struct {
	gnet.BuiltinEventEngine
}

// OnTraffic echoes what is readable on c. gnet calls it on c's event loop.
func (*echoServer) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	_, _ = c.Write(buf)
	return gnet.None
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "TCP address to listen on")
	multicore := flag.Bool("multicore", false, "one event loop per CPU (off: a single event loop)")
	reuseport := flag.Bool("reuseport", false, "set SO_REUSEPORT on the listener")
	flag.Parse()

	log.Printf("gnetecho listening on %s (multicore=%v)", *addr, *multicore)
	err := gnet.Run(&echoServer{}, "tcp://"+*addr,
		gnet.WithMulticore(*multicore),
		gnet.WithReusePort(*reuseport),
		gnet.WithLogLevel(logging.WarnLevel),
	)
	if err != nil {
		log.Fatal(err)
	}
}
