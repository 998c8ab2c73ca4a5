package stdecho

import (
	"bytes"
	"io"
	"net"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestServeEchoes(t *testing.T) {
	tests := []struct {
		name    string
		bufSize int
		msg     []byte
	}{
		{name: "small", bufSize: 0, msg: []byte("hello")},
		{name: "larger than the buffer", bufSize: 16, msg: bytes.Repeat([]byte("0123456789"), 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- Serve(ln, tt.bufSize) }()

			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write(tt.msg); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(tt.msg))
			if _, err := io.ReadFull(c, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.msg) {
				t.Fatalf("echo differs")
			}
			c.Close()
			ln.Close()
			if err := <-done; err != nil {
				t.Fatalf("Serve returned %v after Close, want nil", err)
			}
		})
	}
}
