package websocket

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/shoalrt/shoal/codec"
)

// responseBuffer is the http.ResponseWriter given to Options.HTTP: it keeps
// the whole answer in memory, to be written by the runtime after the
// handler returns.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseBuffer) Header() http.Header { return w.header }

func (w *responseBuffer) WriteHeader(status int) {
	if w.status == 0 && status >= 100 && status <= 999 {
		w.status = status
	}
}

func (w *responseBuffer) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// answer returns the HTTP/1.1 response: the handler's status, headers and
// body, with Content-Length and Connection: close (the connection closes
// after it). A HEAD answer and 1xx, 204 and 304 answers carry no body.
func (w *responseBuffer) answer(head bool) []byte {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.header
	h.Del("Transfer-Encoding")
	h.Set("Connection", "close")
	noBody := w.status < 200 || w.status == http.StatusNoContent || w.status == http.StatusNotModified
	if noBody {
		h.Del("Content-Length")
	} else {
		h.Set("Content-Length", strconv.Itoa(w.body.Len()))
		if h.Get("Content-Type") == "" && w.body.Len() > 0 {
			h.Set("Content-Type", http.DetectContentType(w.body.Bytes()))
		}
	}
	out := fmt.Appendf(nil, "HTTP/1.1 %03d %s\r\n", w.status, http.StatusText(w.status))
	aw := appendWriter{b: out}
	_ = h.Write(&aw)
	out = append(aw.b, "\r\n"...)
	if !head && !noBody {
		out = append(out, w.body.Bytes()...)
	}
	return out
}

// serveHTTP answers a request that is not a WebSocket upgrade with
// Options.HTTP and ends the stream (Err nil: the connection did what it
// came for). A handler panic is answered 500.
func (s *stream) serveHTTP(req *http.Request, end int) (ev codec.Event, n int) {
	s.state = stClosed
	w := &responseBuffer{header: make(http.Header)}
	defer func() {
		if p := recover(); p != nil {
			reason := fmt.Sprintf("HTTP handler panicked: %v", p)
			ev, n = s.refuse(http.StatusInternalServerError, reason, "")
		}
	}()
	s.c.o.HTTP.ServeHTTP(w, req)
	return codec.Event{Kind: codec.EventClose, Frame: w.answer(req.Method == http.MethodHead)}, end
}
