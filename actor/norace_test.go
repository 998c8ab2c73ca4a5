//go:build !race

package actor_test

// raceEnabled reports a -race build, whose allocation counts are not the
// ones measured (the detector's bookkeeping, and sync.Pool dropping items).
const raceEnabled = false
