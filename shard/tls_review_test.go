package shard

import (
	"testing"
	"time"
)

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

// A server connection waiting for its ClientHello re-parses everything it
// holds on every read (consumeTLS calls helloReady on ts.tr.held(), which
// walks every record from the first): a client that sends its hello as
// one-byte records, each read on its own, costs the shard O(n²) in the
// number of records. Up to maxHandshakeFeed that is 43 690 records and
// about 9.5e8 record steps, several seconds of the shard's CPU for one
// connection (7 s measured here), while every established connection of the
// shard waits; a few such peers, at some 60 KB/s each, keep a shard pegged
// within the handshake timeout. The issue asks that a trickling client
// close only its own connection and that a flood not stall established
// echoes.
//
// Not a duration assertion: the test compares the shard's work for the same
// bytes fed record by record and fed at once, and fails only past a ratio of
// 100 (it is thousands here; a parse that resumes where it stopped makes it
// a small constant).
func TestTLSReviewHelloTrickleIsQuadratic(t *testing.T) {
	const records = 12000 // 72 KB: well under maxHandshakeFeed, keeps the test short
	recs := trickledHello(records)
	var all []byte
	for _, r := range recs {
		all = append(all, r...)
	}
	s := &Shard{}
	fresh := func() *tlsState { return &tlsState{phase: tlsHello, tr: newTLSTransport(nil, nil, nil, nil)} }

	once := time.Duration(1 << 62)
	for i := 0; i < 5; i++ {
		ts := fresh()
		start := time.Now()
		s.consumeTLS(nil, ts, all) // not ready, no error: consumeTLS only holds it
		once = min(once, time.Since(start))
		if ts.phase != tlsHello {
			t.Fatalf("phase %v after a partial hello", ts.phase)
		}
	}
	ts := fresh()
	start := time.Now()
	for _, r := range recs {
		s.consumeTLS(nil, ts, r)
	}
	trickled := time.Since(start)
	if ts.phase != tlsHello {
		t.Fatalf("phase %v after a partial hello", ts.phase)
	}
	ratio := float64(trickled) / float64(max(once, time.Microsecond))
	t.Logf("%d one-byte records: at once %v, one per read %v (%.0fx)", records, once, trickled, ratio)
	if ratio > 100 {
		t.Fatalf("a hello trickled as %d records costs the shard %.0fx the same bytes at once (%v): quadratic in the records", records, ratio, trickled)
	}
}
