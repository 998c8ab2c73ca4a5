package main

import (
	"slices"
	"testing"

	"github.com/shoalrt/shoal/actor"
)

// A member list answered by the store may be older than presence events
// that arrived while it was on its way: they are applied on top, in order.
func TestMemberNicks(t *testing.T) {
	const self, ann, tom = actor.ID(1), actor.ID(2), actor.ID(3)
	answer := actor.Members{Members: []actor.Member{{ID: ann, Info: "ann"}, {ID: self, Info: "old"}}}
	for _, tc := range []struct {
		name string
		in   bool
		seen []actor.Presence
		want []string
	}{
		{"as answered, self renamed", true, nil, []string{"ann", "me"}},
		{"not in the room", false, nil, []string{"ann", "old"}},
		{"a join the answer missed", true, []actor.Presence{{Member: actor.Member{ID: tom, Info: "tom"}, Joined: true}}, []string{"ann", "me", "tom"}},
		{"a leave the answer missed", true, []actor.Presence{{Member: actor.Member{ID: ann, Info: "ann"}}}, []string{"me"}},
		{"a join then a leave", true, []actor.Presence{
			{Member: actor.Member{ID: tom, Info: "tom"}, Joined: true}, {Member: actor.Member{ID: tom, Info: "tom"}}}, []string{"ann", "me"}},
		{"a rename", true, []actor.Presence{
			{Member: actor.Member{ID: ann, Info: "ann"}}, {Member: actor.Member{ID: ann, Info: "anna"}, Joined: true}}, []string{"anna", "me"}},
	} {
		if got := memberNicks(self, "me", tc.in, answer, tc.seen); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
