package cluster

import (
	"sync"
	"testing"
)

// takeRecoveries applies the cost rule (store_coalesce.go): recoveries
// whose ranges overlap are taken together; one alone, one far from the
// others, or ones of another epoch are not; a recovery taken is never
// taken again.
func TestTakeRecoveries(t *testing.T) {
	rec := func(start, upTo, epoch uint64) *recovery {
		return &recovery{start: start, upTo: upTo, epoch: epoch}
	}
	tests := []struct {
		name string
		recs []*recovery // the first is the one whose job runs
		want []int       // the indexes taken
	}{
		{name: "alone", recs: []*recovery{rec(1, 100, 1)}, want: []int{0}},
		{name: "two overlapping", recs: []*recovery{rec(1, 100, 1), rec(1, 100, 1)}, want: []int{0}},
		{name: "four identical", recs: []*recovery{rec(1, 100, 1), rec(1, 100, 1), rec(1, 100, 1), rec(1, 100, 1)}, want: []int{0, 1, 2, 3}},
		{name: "three identical", recs: []*recovery{rec(1, 100, 1), rec(1, 100, 1), rec(1, 100, 1)}, want: []int{0}},
		{name: "five overlapping", recs: []*recovery{rec(1, 100, 1), rec(2, 100, 1), rec(1, 99, 1), rec(5, 100, 1), rec(1, 100, 1)}, want: []int{0, 1, 2, 3, 4}},
		{name: "one far off left out", recs: []*recovery{rec(1000, 1100, 1), rec(1000, 1100, 1), rec(1, 10, 1), rec(1000, 1100, 1), rec(1000, 1090, 1), rec(1001, 1100, 1)}, want: []int{0, 1, 3, 4, 5}},
		{name: "one deep behind left out", recs: []*recovery{rec(100_000, 100_100, 1), rec(1, 100_100, 1), rec(100_000, 100_100, 1), rec(100_000, 100_100, 1), rec(100_000, 100_100, 1)}, want: []int{0, 2, 3, 4}},
		{name: "another epoch", recs: []*recovery{rec(1, 100, 1), rec(1, 100, 2), rec(1, 100, 1), rec(1, 100, 1), rec(1, 100, 1)}, want: []int{0, 2, 3, 4}},
		{name: "disjoint", recs: []*recovery{rec(1, 10, 1), rec(100, 110, 1), rec(200, 210, 1), rec(300, 310, 1)}, want: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &history{}
			s := &groupStore{recs: map[*history][]*recovery{h: append([]*recovery(nil), tt.recs...)}}
			s.work.cond = sync.NewCond(&s.mu)
			got := s.takeRecoveries(h, tt.recs[0])
			var idx []int
			for _, g := range got {
				for i, r := range tt.recs {
					if r == g {
						idx = append(idx, i)
					}
				}
			}
			if len(idx) != len(tt.want) {
				t.Fatalf("took %v, want %v", idx, tt.want)
			}
			for i := range idx {
				if idx[i] != tt.want[i] {
					t.Fatalf("took %v, want %v", idx, tt.want)
				}
			}
			if len(s.recs[h]) != len(tt.recs)-len(got) {
				t.Fatalf("%d left waiting, want %d", len(s.recs[h]), len(tt.recs)-len(got))
			}
			if again := s.takeRecoveries(h, tt.recs[0]); again != nil {
				t.Fatalf("taken again: %v", again)
			}
			if s.untake(h, tt.recs[0]) {
				t.Fatal("untake of a recovery taken")
			}
		})
	}
}
