package codec

import (
	"bytes"
	"encoding/json"
	"errors"
)

var (
	errJSONNoType  = errors.New(`missing "type"`)
	errJSONInvalid = errors.New("invalid JSON")
	errJSONObject  = errors.New("not a JSON object")
)

// jsonEnvelope returns the "type" and "data" members of frame, a JSON
// object: tag is the type's string contents, unescaped (a subslice of frame
// unless it holds escapes), data the raw JSON of the data value (nil if
// absent). The last of duplicate keys wins, as in encoding/json, but keys
// match exactly (encoding/json would also take "TYPE"). It allocates only
// for keys or a type that use escapes.
func jsonEnvelope(frame []byte) (tag, data []byte, err error) {
	if !json.Valid(frame) {
		return nil, nil, errJSONInvalid
	}
	// frame is valid JSON from here on, so the scan need not check syntax.
	i := jsonSpace(frame, 0)
	if frame[i] != '{' {
		return nil, nil, errJSONObject
	}
	i = jsonSpace(frame, i+1)
	haveTag := false
	for frame[i] != '}' {
		kEnd := jsonSkip(frame, i)
		key := frame[i:kEnd]
		v := jsonSpace(frame, jsonSpace(frame, kEnd)+1) // past the ':'
		vEnd := jsonSkip(frame, v)
		switch name := jsonUnquote(key); {
		case bytes.Equal(name, []byte("type")):
			if frame[v] != '"' {
				if frame[v] == 'n' { // null
					haveTag = false
					break
				}
				return nil, nil, errors.New(`"type" is not a string`)
			}
			tag, haveTag = jsonUnquote(frame[v:vEnd]), true
		case bytes.Equal(name, []byte("data")):
			data = frame[v:vEnd]
		}
		i = jsonSpace(frame, vEnd)
		if frame[i] == ',' {
			i = jsonSpace(frame, i+1)
		}
	}
	if !haveTag {
		return nil, nil, errJSONNoType
	}
	return tag, data, nil
}

// jsonSpace returns the index of the first non-space byte at or after i.
func jsonSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonSkip returns the index just after the valid JSON value starting at
// b[i].
func jsonSkip(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of the object holding a scalar
				return i
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// jsonUnquote returns the contents of the valid JSON string q: a subslice
// of q, or a new slice if it has escapes.
func jsonUnquote(q []byte) []byte {
	s := q[1 : len(q)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return s
	}
	var u string
	if json.Unmarshal(q, &u) != nil { // cannot fail on a valid string
		return nil
	}
	return []byte(u)
}
