package disruptor

import "testing"

func TestSingleWriterWrapAround(t *testing.T) {
	tests := []struct {
		name  string
		size  int
		count int64
		batch int64
		ws    func() WaitStrategy
	}{
		{name: "R1/B1", size: 1, count: 5000, batch: 1, ws: Yield},
		{name: "R64/B1", size: 64, count: 50000, batch: 1, ws: Yield},
		{name: "R64/B16", size: 64, count: 50000, batch: 16, ws: Yield},
		{name: "R64/B64", size: 64, count: 50000, batch: 64, ws: Yield},
		{name: "R16/B5/park", size: 16, count: 20000, batch: 5, ws: func() WaitStrategy {
			w := NewChanWaker()
			return Park(NewParker(w), w)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.size, false, tt.ws())
			f.run(t, 1, tt.count, tt.batch)
			if c := f.writer.Cursor(); c != tt.count-1 {
				t.Fatalf("Cursor = %d, want %d", c, tt.count-1)
			}
		})
	}
}
