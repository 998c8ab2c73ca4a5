package cluster

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shoalrt/shoal/actor"
)

// digestOfEncoding is how the digest of a keyed publication was first
// computed, and what stored messages carry: the hex FNV-64a of a second
// encoding of the envelope, without the publisher.
func digestOfEncoding(t *testing.T, msg any) string {
	t.Helper()
	alone, err := appendEnvelope(nil, &actor.Envelope{Kind: actor.KindPublish, Msg: msg}, wireSerializer(t))
	require.NoError(t, err)
	f := fnv.New64a()
	f.Write(alone)
	return hex.EncodeToString(f.Sum(nil))
}

// The digest Publish computes from the payload it sends (with its
// publisher) is the one a second encoding without the publisher gave, for
// any publisher and message: a resend spanning an upgrade still compares
// equal to what the stream holds.
func TestPublicationDigest(t *testing.T) {
	ser := wireSerializer(t)
	for _, tc := range []struct {
		name string
		msg  any
	}{
		{"string", "a line of chat, thirty-two bytes"},
		{"empty string", ""},
		{"struct", wireSay{Room: "r", Text: "hé", N: -3, Blob: []byte{0, 1}, Tags: []string{"a"}, OK: true}},
		{"empty struct", wireEmpty{}},
		{"large", string(make([]byte, 70_000))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := digestOfEncoding(t, tc.msg)
			for _, from := range []actor.ID{0, 7, 1<<64 - 1, actor.ID(0x0102030405060708)} {
				payload, err := appendEnvelope(nil, &actor.Envelope{Kind: actor.KindPublish, From: from, Msg: tc.msg}, ser)
				require.NoError(t, err)
				require.Equal(t, want, publicationDigest(payload), "From %#x", uint64(from))
			}
		})
	}
	// Pinned: a change of the envelope's or the message's encoding would
	// change the digests of stored messages, and break their dedup.
	payload, err := appendEnvelope(nil, &actor.Envelope{Kind: actor.KindPublish, From: 42, Msg: "hello"}, ser)
	require.NoError(t, err)
	require.Equal(t, "d5a6f5b2fbbbce2e", digestOfEncoding(t, "hello"))
	require.Equal(t, "d5a6f5b2fbbbce2e", publicationDigest(payload))
}

// A history's subject cache answers what subject does, and holds at most
// about maxCachedSubjects groups however many are published to.
func TestPubSubjectCache(t *testing.T) {
	h := &history{subjects: "shoal.c.h.01234567."}
	for round := range 2 {
		for i := range 3 * maxCachedSubjects {
			g := fmt.Sprint("room:", i)
			require.Equal(t, h.subject(g), h.pubSubject(g), "round %d", round)
		}
	}
	n := 0
	h.subjCache.Range(func(_, _ any) bool { n++; return true })
	require.LessOrEqual(t, n, maxCachedSubjects)
	require.Positive(t, n)
}
