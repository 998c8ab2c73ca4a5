package load

import (
	"math"
	"testing"
	"time"
)

func TestBucketLayout(t *testing.T) {
	// Every bucket's lower bound maps back to it, bounds grow strictly, and a
	// bucket is never wider than 1/subBuckets of its lower bound.
	for i := 1; i < numBuckets; i++ {
		lo := bucketLow(i)
		if got := bucketOf(lo); got != i {
			t.Fatalf("bucketOf(bucketLow(%d)=%d) = %d", i, lo, got)
		}
		if prev := bucketLow(i - 1); prev >= lo {
			t.Fatalf("bucket %d low %d not above bucket %d low %d", i, lo, i-1, prev)
		}
		if got := bucketOf(lo - 1); got != i-1 {
			t.Fatalf("bucketOf(%d) = %d, want %d", lo-1, got, i-1)
		}
		if i+1 < numBuckets && i >= 2*subBuckets {
			width := bucketLow(i+1) - lo
			if float64(width) > float64(lo)/subBuckets {
				t.Fatalf("bucket %d width %d > %d/%d", i, width, lo, subBuckets)
			}
		}
	}
	if got := bucketOf(math.MaxUint64); got != numBuckets-1 {
		t.Fatalf("bucketOf(max) = %d, want %d", got, numBuckets-1)
	}
}

func TestHistogramQuantile(t *testing.T) {
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{name: "empty", q: 0.5, want: 0},
		{name: "one value", values: []time.Duration{40}, q: 0.99, want: 40},
		{name: "median of small values", values: []time.Duration{1, 2, 3, 4, 5}, q: 0.5, want: 3},
		{name: "negative is zero", values: []time.Duration{-5}, q: 0.5, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, v := range tt.values {
				h.Record(v)
			}
			if got := h.Quantile(tt.q); got != tt.want {
				t.Fatalf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestHistogramQuantileAccuracy(t *testing.T) {
	var h Histogram
	// 1..100 µs, one each: p50 ≈ 50 µs, p99 ≈ 99 µs within the bucket width.
	for i := 1; i <= 100; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	if h.Count() != 100 {
		t.Fatalf("Count = %d", h.Count())
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Microsecond}, {0.99, 99 * time.Microsecond}} {
		got := h.Quantile(c.q)
		if diff := math.Abs(float64(got-c.want)) / float64(c.want); diff > 1.0/subBuckets {
			t.Fatalf("Quantile(%v) = %v, want %v ± 3%%", c.q, got, c.want)
		}
	}
}
