package codec

// appendWriter is an io.Writer (and io.ByteWriter) that appends to b: the
// encoders write straight into the caller's dst through it, so encoding
// copies nothing and allocates only when dst must grow.
type appendWriter struct {
	b []byte // the caller's dst while an encoder runs; nil otherwise
}

// Write appends p. It never fails.
func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// WriteByte appends c. It never fails.
func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}
