package cluster

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// batchOf frames envelopes (any bytes) as a batch.
func batchOf(parts ...[]byte) []byte {
	b := []byte{wireBatch}
	for _, p := range parts {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

func TestEachEnvelope(t *testing.T) {
	collect := func(data []byte) ([][]byte, error) {
		var got [][]byte
		err := eachEnvelope(data, func(b []byte) { got = append(got, bytes.Clone(b)) })
		return got, err
	}
	lone := []byte{wireVersion, 1, 0}
	got, err := collect(lone)
	require.NoError(t, err)
	require.Equal(t, [][]byte{lone}, got, "a lone envelope is handed over whole")

	got, err = collect(batchOf([]byte("one"), []byte{}, []byte("three")))
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("one"), {}, []byte("three")}, got)

	got, err = collect([]byte{wireBatch})
	require.NoError(t, err)
	require.Empty(t, got, "an empty batch holds nothing")

	broken := append(batchOf([]byte("ok")), 9, 0, 0, 0, 'x') // claims 9 bytes, has 1
	got, err = collect(broken)
	require.ErrorIs(t, err, ErrMalformed)
	require.Equal(t, [][]byte{[]byte("ok")}, got, "what came before the break is handed over")

	got, err = collect(append(batchOf([]byte("ok")), 1, 0))
	require.ErrorIs(t, err, ErrMalformed, "a length cut short")
	require.Len(t, got, 1)

	_, err = collect(nil)
	require.ErrorIs(t, err, ErrMalformed)
}

// FuzzEachEnvelope: any message splits without a panic, into pieces that
// lie inside it, back to back, and a message that splits cleanly is
// rebuilt exactly from its pieces.
func FuzzEachEnvelope(f *testing.F) {
	f.Add([]byte{wireBatch})
	f.Add(batchOf([]byte("a"), []byte("bc")))
	f.Add(append(batchOf([]byte("a")), 200, 0, 0, 0))
	f.Add([]byte{wireVersion, 1, 0, 0})
	f.Add([]byte{wireBatch, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var parts [][]byte
		err := eachEnvelope(data, func(b []byte) { parts = append(parts, b) })
		if len(data) == 0 {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("empty message: %v", err)
			}
			return
		}
		if data[0] != wireBatch {
			if err != nil || len(parts) != 1 || !bytes.Equal(parts[0], data) {
				t.Fatalf("a lone envelope: %d parts, %v", len(parts), err)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if rebuilt := batchOf(parts...); !bytes.Equal(rebuilt, data) {
			t.Fatalf("pieces rebuild %x, want %x", rebuilt, data)
		}
	})
}
