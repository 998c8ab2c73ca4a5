package shard

import "testing"

// trickledHello is a ClientHello announcing crypto/tls's largest message
// (64 KiB) sent as one-byte handshake records (legal: crypto/tls reassembles
// handshake messages across records), as many of them as fit under
// maxHandshakeFeed.
func trickledHello(records int) [][]byte {
	msg := []byte{msgTypeHello, 0x01, 0x00, 0x00}
	out := make([][]byte, 0, records)
	for i := 0; i < records; i++ {
		c := byte(0)
		if i < len(msg) {
			c = msg[i]
		}
		out = append(out, []byte{recordHandshake, 3, 1, 0, 1, c})
	}
	return out
}

// A server connection waiting for its ClientHello must not parse again, at
// each read, what it parsed before: a client sending its hello as one-byte
// records, each read on its own, would cost the shard work quadratic in the
// records (7 s of a shard's CPU for one connection, measured before the
// parse resumed). The parse counts the records it looks at: each once.
func TestTLSHelloTrickleIsLinear(t *testing.T) {
	const records = 12000
	recs := trickledHello(records)
	s := &Shard{}
	ts := &tlsState{phase: tlsHello, tr: newTLSTransport(nil, nil, nil, nil)}
	for _, r := range recs {
		s.consumeTLS(nil, ts, r) // not ready, no error: consumeTLS only holds it
	}
	if ts.phase != tlsHello {
		t.Fatalf("phase %v after a partial hello", ts.phase)
	}
	if ts.hello.recs != records {
		t.Fatalf("%d one-byte records fed one per read: %d record steps, want %d", records, ts.hello.recs, records)
	}
}
