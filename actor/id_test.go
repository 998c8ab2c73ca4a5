package actor_test

import (
	"encoding/json"
	"testing"

	"github.com/shoalrt/shoal/actor"
	"github.com/stretchr/testify/require"
)

func TestIDRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{name: "small", text: "0:0:0:1"},
		{name: "max", text: "1023:255:4194303:16777215"},
		{name: "mixed", text: "3:7:123456:42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := actor.ParseID(tt.text)
			require.NoError(t, err)
			require.Equal(t, tt.text, id.String())
			b, err := json.Marshal(map[string]actor.ID{"id": id})
			require.NoError(t, err)
			var back map[string]actor.ID
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, id, back["id"])
		})
	}
}

func TestIDParts(t *testing.T) {
	id, err := actor.ParseID("5:6:7:8")
	require.NoError(t, err)
	require.Equal(t, 5, id.Node())
	require.Equal(t, 6, id.Shard())
	require.Equal(t, 7, id.Slot())
	require.Equal(t, uint32(8), id.Gen())
	require.False(t, id.IsZero())
	require.True(t, actor.ID(0).IsZero())
}

func TestParseIDRejectsBadInput(t *testing.T) {
	for _, s := range []string{"", "1:2:3", "1:2:3:4:5", "a:b:c:d", "1024:0:0:1", "0:256:0:1", "0:0:4194304:1", "0:0:0:16777216", "-1:0:0:1"} {
		_, err := actor.ParseID(s)
		require.Error(t, err, s)
	}
}
