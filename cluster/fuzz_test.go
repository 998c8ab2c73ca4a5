package cluster

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
)

// FuzzDecodeEnvelope feeds decodeEnvelope arbitrary bytes. It must never
// panic, must fail only with the errors it documents, must leave Node
// alone, must deliver a message in its registered form, and what it
// accepts must survive appendEnvelope → decodeEnvelope unchanged,
// re-encoding to the same bytes. The seeds, valid envelopes of
// every kind and malformed ones, are also in testdata/fuzz/FuzzDecodeEnvelope
// as seed-<name>; TestFuzzSeedCorpus keeps the two in step.

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzDecodeEnvelope/seed-* from fuzzSeeds")

// fuzzSeeds returns the seed inputs of FuzzDecodeEnvelope by name.
func fuzzSeeds(tb testing.TB, ser *codec.MsgpackSerializer) map[string][]byte {
	tb.Helper()
	seeds := make(map[string][]byte)
	for _, v := range wireValid(tb, ser) {
		seeds[v.name] = v.b
	}
	hdr := func(kind, flags byte) []byte { return wireHeader(wireVersion, kind, flags) }
	req, resp, pub := byte(actor.KindRequest), byte(actor.KindResponse), byte(actor.KindPublish)
	malformed := map[string][]byte{
		"version":             wireHeader(2, 1, 0),
		"kind":                hdr(0, 0),
		"flags":               hdr(1, 0x08),
		"old-byvalue-flag":    cat(hdr(1, flagMsg|oldByValue), []byte{0x92, 0xa7}, []byte("wireSay"), []byte{0xc0}),
		"bad-varint":          cat(hdr(req, 0), bytes.Repeat([]byte{0xff}, 10), []byte{1}),
		"asknode-too-big":     cat(hdr(req, 0), uv(1), uv(actor.MaxNode+1)),
		"group-beyond-buffer": cat(hdr(pub, 0), uv(9), []byte("abc")),
		"group-too-long":      cat(hdr(pub, 0), uv(MaxGroupLen+1), bytes.Repeat([]byte("g"), MaxGroupLen+1)),
		"errcode-unknown":     cat(hdr(resp, flagErr), uv(1), []byte{9}),
		"errtext-too-long":    cat(hdr(resp, flagErr), uv(1), []byte{errText}, uv(maxErrText+1), bytes.Repeat([]byte("e"), maxErrText+1)),
		"trailing":            cat(hdr(1, 0), []byte{0}),
		"msg-unknown-tag":     cat(hdr(1, flagMsg), []byte{0x92, 0xa4, 'N', 'o', 'p', 'e', 0xc0}),
		"msg-garbage":         cat(hdr(1, flagMsg), []byte{0x92, 0xa7}, []byte("wireSay"), []byte{0xdc, 0xff, 0xff}),
	}
	for name, b := range malformed {
		seeds["bad-"+name] = b
	}
	return seeds
}

func FuzzDecodeEnvelope(f *testing.F) {
	ser := wireSerializer(f)
	for _, b := range fuzzSeeds(f, ser) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, ser, b) })
}

func fuzzDecode(t *testing.T, ser *codec.MsgpackSerializer, b []byte) {
	const node = 42
	e := actor.Envelope{Node: node}
	if err := decodeEnvelope(b, &e, ser); err != nil {
		requireWireError(t, err)
		if strings.Contains(err.Error(), "decoder panic") { // recovered, but a bug
			t.Fatal(err)
		}
		return
	}
	if e.Node != node {
		t.Fatalf("decodeEnvelope changed Node to %d", e.Node)
	}
	if e.Msg != nil && !wireForms[reflect.TypeOf(e.Msg)] {
		t.Fatalf("message decoded as %T, not in its registered form", e.Msg)
	}
	again, err := appendEnvelope(nil, &e, ser)
	if err != nil {
		t.Fatalf("appendEnvelope(%#v) of a decoded envelope: %v", e, err)
	}
	back := actor.Envelope{Node: node}
	if err := decodeEnvelope(again, &back, ser); err != nil {
		t.Fatalf("decodeEnvelope(appendEnvelope(%#v)) = %v", e, err)
	}
	if !reflect.DeepEqual(e, back) {
		t.Fatalf("round trip changed\n%#v\nto\n%#v", e, back)
	}
	third, err := appendEnvelope(nil, &back, ser)
	if err != nil || !bytes.Equal(third, again) {
		t.Fatalf("re-encoding is not stable: %x, %v; want %x", third, err, again)
	}
}

// TestFuzzSeedCorpus checks that the seed files in testdata match
// fuzzSeeds (run with -update-corpus to rewrite them), and runs each seed
// through the fuzz target's checks.
func TestFuzzSeedCorpus(t *testing.T) {
	ser := wireSerializer(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeEnvelope")
	seeds := fuzzSeeds(t, ser)
	if *updateCorpus {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		old, err := filepath.Glob(filepath.Join(dir, "seed-*"))
		require.NoError(t, err)
		for _, p := range old {
			require.NoError(t, os.Remove(p))
		}
		for name, b := range seeds {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), corpusFile(b), 0o644))
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "seed-*"))
	require.NoError(t, err)
	require.Len(t, files, len(seeds), "seed files in %s (run with -update-corpus)", dir)
	for name, b := range seeds {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(dir, "seed-"+name))
			require.NoError(t, err, "run with -update-corpus")
			require.Equal(t, string(corpusFile(b)), string(got), "run with -update-corpus")
			fuzzDecode(t, ser, b)
			var e actor.Envelope
			err = decodeEnvelope(b, &e, ser)
			if strings.HasPrefix(name, "bad-") {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

// corpusFile returns b as a file of the fuzzing engine's corpus.
func corpusFile(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}
