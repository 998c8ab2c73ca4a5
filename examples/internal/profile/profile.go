// Package profile serves Go's profiles (runtime/pprof, in the form go tool
// pprof fetches) for the examples' -pprof flag, on a net/http server of its
// own so the profiles never share a port with what the example serves.
//
// A shard's goroutine carries the pprof label shoal.shard=INDEX, so a CPU
// profile of a running example shows which shard burns:
//
//	go run ./examples/echo -pprof 127.0.0.1:6060 &
//	go tool pprof -tags 'http://127.0.0.1:6060/debug/pprof/profile?seconds=10'
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
	"runtime/pprof"
	"strconv"
	"time"
)

// Serve serves the profiles on addr until the returned stop is called:
// /debug/pprof/profile?seconds=N (CPU, 30 s by default), and
// /debug/pprof/NAME for each of runtime/pprof's named profiles (goroutine,
// heap, allocs, block, mutex, threadcreate; ?debug=1 for text), which is
// what go tool pprof fetches. It uses runtime/pprof directly rather than
// net/http/pprof, whose index page would link html/template into every
// example. An empty addr serves nothing (stop does nothing).
func Serve(addr string) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", cpuProfile)
	mux.HandleFunc("/debug/pprof/{name}", namedProfile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Printf("pprof: %v\n", err)
		}
	}()
	fmt.Printf("pprof: http://%s/debug/pprof/profile (CPU), /debug/pprof/goroutine, /debug/pprof/heap, ...\n", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// cpuProfile writes a CPU profile of the next ?seconds=N seconds.
func cpuProfile(w http.ResponseWriter, r *http.Request) {
	secs := 30
	if s := r.FormValue("seconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 600 {
			http.Error(w, "seconds: want 1 to 600", http.StatusBadRequest)
			return
		}
		secs = n
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if err := pprof.StartCPUProfile(w); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError) // another profile is running
		return
	}
	select {
	case <-time.After(time.Duration(secs) * time.Second):
	case <-r.Context().Done():
	}
	pprof.StopCPUProfile()
}

// namedProfile writes one of runtime/pprof's named profiles.
func namedProfile(w http.ResponseWriter, r *http.Request) {
	p := pprof.Lookup(r.PathValue("name"))
	if p == nil {
		http.NotFound(w, r)
		return
	}
	debug, _ := strconv.Atoi(r.FormValue("debug"))
	if debug > 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	_ = p.WriteTo(w, debug)
}
