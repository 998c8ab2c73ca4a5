package websocket

import (
	"net"
	"time"

	"github.com/shoalrt/shoal/codec"
)

// A test-only driver that runs a Stream over a real connection the way a
// shard does: bytes read are appended to an inbound buffer, Next runs over
// the unconsumed bytes until it needs more, replies and messages are
// written. It owns the stream: every call happens on its goroutine.

// goodbye, sent to a driver, makes it write the stream's Goodbye for err
// and read on until the peer's close.
type goodbye struct{ err error }

// driverTimeout bounds every driver; generous, only to end a broken test.
const driverTimeout = 20 * time.Second

// serveStream drives st over conn until the stream or the connection ends,
// then closes conn and reports the events seen (payloads copied) and the
// end's reason on the returned channel. echo makes it write every message
// back with its kind; messages sent on send are framed with AppendMessage
// (a goodbye value says goodbye). If live is not nil, each message is also
// sent there as it arrives (it must have room).
func serveStream(conn net.Conn, st codec.Stream, echo bool, send <-chan any, live chan<- rec) <-chan []rec {
	done := make(chan []rec, 1)
	go func() {
		var evs []rec
		defer func() {
			st.Release()
			conn.Close()
			done <- evs
		}()
		_ = conn.SetDeadline(time.Now().Add(driverTimeout))
		type chunk struct {
			b   []byte
			err error
		}
		chunks, stop := make(chan chunk), make(chan struct{})
		defer close(stop)
		go func() { // the "poller": reads and hands bytes over
			for {
				b := make([]byte, 16<<10)
				n, err := conn.Read(b)
				select {
				case chunks <- chunk{b[:n], err}:
				case <-stop:
					return
				}
				if err != nil {
					return
				}
			}
		}()
		write := func(b []byte) bool {
			_, err := conn.Write(b)
			return err == nil
		}
		if !write(st.Hello(nil)) {
			return
		}
		var in []byte
		var sendOpen <-chan any // nil, so not selected, until EventOpen
		for {
			select {
			case m := <-sendOpen:
				if g, ok := m.(goodbye); ok {
					write(st.Goodbye(nil, g.err))
					continue
				}
				var payload []byte
				switch v := m.(type) {
				case []byte:
					payload = v
				case codec.Text:
					payload = v
				}
				out, err := st.AppendMessage(nil, payload, m)
				if err != nil || !write(out) {
					evs = append(evs, rec{Kind: codec.EventClose, Err: err})
					return
				}
			case c := <-chunks:
				in = append(in, c.b...)
				for {
					ev, n := st.Next(in)
					in = in[n:]
					switch ev.Kind {
					case codec.EventNone:
						if n > 0 {
							continue
						}
					case codec.EventReply:
						write(ev.Frame)
						continue
					case codec.EventClose:
						write(ev.Frame)
						evs = append(evs, rec{Kind: ev.Kind, Frame: string(ev.Frame), Err: ev.Err})
						return
					case codec.EventOpen:
						evs = append(evs, rec{Kind: ev.Kind, Info: ev.Info})
						sendOpen = send
						continue
					case codec.EventMessage:
						evs = append(evs, rec{Kind: ev.Kind, Text: ev.Text, Frame: string(ev.Frame)})
						if live != nil {
							live <- evs[len(evs)-1]
						}
						if echo {
							var msg any = []byte(nil)
							if ev.Text {
								msg = codec.Text(nil)
							}
							out, _ := st.AppendMessage(nil, ev.Frame, msg)
							write(out)
						}
						continue
					}
					break
				}
				if c.err != nil {
					write(st.Goodbye(nil, c.err))
					evs = append(evs, rec{Kind: codec.EventClose, Err: c.err})
					return
				}
				in = append([]byte(nil), in...) // compact, as a shard may
			}
		}
	}()
	return done
}
