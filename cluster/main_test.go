package cluster

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test stops what it started: no goroutine of a node, its NATS
// connection or its embedded server may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
