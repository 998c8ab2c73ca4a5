//go:build darwin

package reactor

import "golang.org/x/sys/unix"

// RecvFrom reads one datagram into p and returns its length and sender.
// On macOS it goes through x/sys and allocates the sender's address.
//
// Concurrency: safe from any goroutine.
func RecvFrom(fd int, p []byte) (n int, from PeerKey, err error) {
	n, sa, err := unix.Recvfrom(fd, p, 0)
	if err != nil {
		return 0, PeerKey{}, err
	}
	return n, keyOf(sa), nil
}
