package cluster

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"sync"
	"time"
)

// DefaultTicketRotation is how often ShareTicketKeys moves to a new
// session ticket key when given no period.
const DefaultTicketRotation = 24 * time.Hour

// ticketKeysKept is how many past periods' keys still decrypt tickets:
// crypto/tls honours a ticket for at most seven days.
const ticketKeysKept = 7

// ShareTicketKeys makes cfg encrypt and decrypt TLS session tickets with
// keys derived from secret (at least 32 random bytes, the same on every
// node), so a client that resumes its session on any node of the cluster
// skips the full handshake, whichever node issued its ticket. By default
// every crypto/tls server has keys of its own, and a ticket from one node
// is refused by the others.
//
// The key in use changes every rotate (DefaultTicketRotation if 0), on
// the same boundaries on every node (multiples of rotate since the Unix
// epoch, so clocks need only agree to within a period); tickets from the
// previous seven periods and the next one are still accepted. Each key is
// HKDF-SHA256 of secret and the period's number, so no key is ever sent
// anywhere. Call it before cfg is used; stop ends the rotation (cfg keeps
// its last keys). It needs no NATS: servers behind one load balancer
// without a cluster can share keys the same way.
func ShareTicketKeys(cfg *tls.Config, secret []byte, rotate time.Duration) (stop func(), err error) {
	if cfg == nil {
		return nil, errors.New("cluster: ShareTicketKeys: nil *tls.Config")
	}
	if len(secret) < 32 {
		return nil, errors.New("cluster: ShareTicketKeys: the secret must hold at least 32 bytes")
	}
	if rotate < 0 || (rotate > 0 && rotate < time.Second) {
		return nil, errors.New("cluster: ShareTicketKeys: rotate must be 0 (the default) or at least a second")
	}
	if rotate == 0 {
		rotate = DefaultTicketRotation
	}
	secret = append([]byte(nil), secret...)
	set := func(now time.Time) (time.Duration, error) {
		period := now.UnixNano() / int64(rotate)
		keys := make([][32]byte, 0, ticketKeysKept+2)
		for _, p := range append([]int64{period, period + 1}, pastPeriods(period)...) {
			k, err := ticketKey(secret, p)
			if err != nil {
				return 0, err
			}
			keys = append(keys, k)
		}
		cfg.SetSessionTicketKeys(keys)
		return time.Duration((period+1)*int64(rotate) - now.UnixNano()), nil
	}
	wait, err := set(time.Now())
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	var once sync.Once
	go func() {
		t := time.NewTimer(wait)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				next, err := set(now)
				if err != nil {
					return
				}
				t.Reset(next)
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }, nil
}

func pastPeriods(p int64) []int64 {
	out := make([]int64, ticketKeysKept)
	for i := range out {
		out[i] = p - 1 - int64(i)
	}
	return out
}

// ticketKey derives the session ticket key of period p.
func ticketKey(secret []byte, p int64) ([32]byte, error) {
	var info [8 + 20]byte
	copy(info[:], "shoal session ticket")
	binary.BigEndian.PutUint64(info[20:], uint64(p))
	var k [32]byte
	b, err := hkdf.Key(sha256.New, secret, nil, string(info[:]), 32)
	copy(k[:], b)
	return k, err
}
