package websocket

import "unicode/utf8"

// utf8Prefix checks b, the next bytes of a text message that may stop in
// the middle of a character. It returns the length of b's prefix made of
// whole characters, all valid, and false if b cannot be the start of valid
// UTF-8 (so a bad message fails at the fragment that breaks it, not at its
// end). The caller rechecks the incomplete tail with the next bytes.
func utf8Prefix(b []byte) (int, bool) {
	end := len(b)
	// The last character starts at most 3 bytes before the end: find its
	// lead byte; if it is incomplete, leave it for later.
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		c := b[i]
		if c < utf8.RuneSelf {
			break
		}
		if c >= 0xc0 {
			// FullRune is false only for a valid but incomplete prefix; a
			// prefix that can never complete counts as full, and fails
			// Valid below.
			if !utf8.FullRune(b[i:]) {
				end = i
			}
			break
		}
	}
	if !utf8.Valid(b[:end]) {
		return 0, false
	}
	return end, true
}
