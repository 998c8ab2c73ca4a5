package load

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Bucket layout: values below 2*subBuckets nanoseconds get a bucket each; above
// that every power of two is split into subBuckets equal buckets, so a
// bucket's width is at most 1/subBuckets (about 3 %) of its lower bound.
// Bucket i >= 2*subBuckets with e = i/subBuckets - 1 holds
// [(i - e*subBuckets) << e, (i - e*subBuckets + 1) << e).
const (
	subBucketBits = 5
	subBuckets    = 1 << subBucketBits // 32
	numBuckets    = (64 - subBucketBits + 1) * subBuckets
)

// Histogram counts latencies in log-linear buckets. Record may be called from
// any number of goroutines at once; Quantile and Count read a consistent
// enough snapshot once the recorders have stopped. The zero value is ready to
// use; it is 15 KiB (1920 buckets), so keep one per run, not one per connection.
type Histogram struct {
	counts [numBuckets]atomic.Uint64 // hot: one atomic add per Record
}

// bucketOf returns the bucket index of v nanoseconds.
func bucketOf(v uint64) int {
	if v < 2*subBuckets {
		return int(v)
	}
	e := bits.Len64(v) - subBucketBits - 1 // >= 1
	return e*subBuckets + int(v>>e)
}

// bucketLow returns the smallest value that falls in bucket i.
func bucketLow(i int) uint64 {
	if i < 2*subBuckets {
		return uint64(i)
	}
	e := i/subBuckets - 1
	return uint64(i-e*subBuckets) << e
}

// bucketMid returns the midpoint of bucket i, the value Quantile reports.
func bucketMid(i int) uint64 {
	if i < 2*subBuckets {
		return uint64(i)
	}
	e := i/subBuckets - 1
	return bucketLow(i) + (uint64(1)<<e)/2
}

// Record adds one latency. Negative durations count as zero. Safe for
// concurrent use; it does not allocate.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))].Add(1)
}

// Count returns the number of recorded latencies.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Quantile returns the latency below which a fraction q (0 < q <= 1) of the
// recorded latencies fall, to within the bucket width, or 0 if nothing was
// recorded. Call it after the recorders have stopped.
func (h *Histogram) Quantile(q float64) time.Duration {
	total := h.Count()
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	if rank > total {
		rank = total
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(bucketMid(i))
		}
	}
	return time.Duration(bucketMid(numBuckets - 1))
}
