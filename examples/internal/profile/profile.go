// Package profile serves Go's profiles (net/http/pprof) for the examples'
// -pprof flag, on a server of its own so the profiles never share a port
// with what the example serves.
//
// A shard's goroutine carries the pprof label shoal.shard=INDEX, so a CPU
// profile of a running example shows which shard burns:
//
//	go run ./examples/echo -pprof 127.0.0.1:6060 &
//	go tool pprof -tags http://127.0.0.1:6060/debug/pprof/profile?seconds=10
//
// (-tags lists the time by label; "go tool pprof -tagfocus shoal.shard=0"
// keeps one shard's samples.)
package profile

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Serve serves /debug/pprof/ on addr until the returned stop is called.
// An empty addr serves nothing (stop does nothing).
func Serve(addr string) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Printf("pprof: %v\n", err)
		}
	}()
	fmt.Printf("pprof: http://%s/debug/pprof/\n", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
