// Package shoaljs holds the JavaScript client library of Shoal, shoal.js
// (the npm package @shoalrt/client, in this folder), so that a Go server
// can serve it to the browsers it talks to: a page imports it as an ES
// module from Path.
//
//	mux.Handle(shoaljs.Path, shoaljs.Handler())
//
// and in the page:
//
//	<script type="module">
//	import { connect } from "/shoal.js";
//	</script>
//
// The package owns the file and how it is served, nothing more. It knows no
// actor, codec or cluster type: the conventions the library relies on (JSON
// envelopes, ref and key fields, group positions) are documented in
// README.md, and the servers that follow them import this package only for
// the bytes.
package shoaljs
