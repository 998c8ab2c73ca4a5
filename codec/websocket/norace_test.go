//go:build !race

package websocket

// raceEnabled reports a -race build, where sync.Pool drops items at random.
const raceEnabled = false
