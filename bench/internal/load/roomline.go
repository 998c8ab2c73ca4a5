package load

// A room line is exactly Config.Size bytes, newline included:
//
//	L SSSS ' ' QQQQQQQQQQQQQQQQ ' ' filler... '\n'
//
// 'L' marks a line that counts (a probe line, sent before the measured
// traffic to learn that every member has joined, starts with 'P'); SSSS is
// the sender's index and Q... its sequence number, both in lower-case hex;
// the filler is a pattern that depends on both, so a line that is cut short,
// spliced from two or corrupted fails the check. No byte but the last is '\n'.
const (
	lineReal     = 'L'
	lineProbe    = 'P'
	lineSidAt    = 1              // 4 hex digits
	lineSeqAt    = 6              // 16 hex digits
	lineFillAt   = 23             // filler up to the newline
	minLineSize  = lineFillAt + 2 // at least one filler byte
	maxSenders   = 0xffff
	hexDigits    = "0123456789abcdef"
	fillAlphabet = 26
)

// putLine writes sender sid's line number seq into line (len = the line
// size), of kind lineReal or lineProbe. It does not allocate.
func putLine(line []byte, kind byte, sid int, seq uint64) {
	line[0] = kind
	putHex(line[lineSidAt:lineSidAt+4], uint64(sid))
	line[lineSidAt+4] = ' '
	putHex(line[lineSeqAt:lineSeqAt+16], seq)
	line[lineSeqAt+16] = ' '
	fill(line[lineFillAt:len(line)-1], sid, seq)
	line[len(line)-1] = '\n'
}

// putHex writes v into dst as len(dst) lower-case hex digits, most
// significant first.
func putHex(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = hexDigits[v&0xf]
		v >>= 4
	}
}

// fill writes the filler pattern of (sid, seq) into dst.
func fill(dst []byte, sid int, seq uint64) {
	k := uint64(sid)*7 + seq
	for i := range dst {
		dst[i] = 'a' + byte((k+uint64(i))%fillAlphabet)
	}
}

// parseHex reads src as lower-case hex; ok is false for any other byte.
func parseHex(src []byte) (v uint64, ok bool) {
	for _, b := range src {
		var d byte
		switch {
		case b >= '0' && b <= '9':
			d = b - '0'
		case b >= 'a' && b <= 'f':
			d = b - 'a' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

// parseLine checks a whole line (len = the line size) and returns its kind,
// sender and sequence number; ok is false if it is not a well-formed line of
// a sender below senders.
func parseLine(line []byte, senders int) (kind byte, sid int, seq uint64, ok bool) {
	kind = line[0]
	if (kind != lineReal && kind != lineProbe) || line[lineSidAt+4] != ' ' ||
		line[lineSeqAt+16] != ' ' || line[len(line)-1] != '\n' {
		return 0, 0, 0, false
	}
	s, ok1 := parseHex(line[lineSidAt : lineSidAt+4])
	seq, ok2 := parseHex(line[lineSeqAt : lineSeqAt+16])
	if !ok1 || !ok2 || s >= uint64(senders) {
		return 0, 0, 0, false
	}
	sid = int(s)
	k := uint64(sid)*7 + seq
	for i, b := range line[lineFillAt : len(line)-1] {
		if b != 'a'+byte((k+uint64(i))%fillAlphabet) {
			return 0, 0, 0, false
		}
	}
	return kind, sid, seq, true
}
