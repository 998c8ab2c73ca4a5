package shoaljs

import (
	_ "embed"
	"net/http"
)

// Path is where servers conventionally serve Module, and where pages
// import it from.
const Path = "/shoal.js"

// ContentType is the type to serve Module with: browsers load an ES module
// only with a JavaScript type.
const ContentType = "text/javascript; charset=utf-8"

// Module is the text of shoal.js, the client library. It is shared: do not
// modify it.
//
//go:embed shoal.js
var Module []byte

// Handler returns a handler that answers every request with Module.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		// Revalidated on every load: a new build reaches browsers at once.
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(Module)
	})
}
