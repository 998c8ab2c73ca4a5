package actor

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoalrt/shoal/shard"
	"github.com/stretchr/testify/require"
)

// shardSentinels lists the names of the error variables package shard
// declares (var ErrX = errors.New(...)), read from its source, so a new
// sentinel there cannot reach users untranslated without this test failing.
func shardSentinels(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../shard/*.go")
	require.NoError(t, err)
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if strings.HasPrefix(n.Name, "Err") {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	require.NotEmpty(t, names)
	return names
}

func TestEveryShardSentinelIsTranslated(t *testing.T) {
	for from, to := range fromShard {
		require.True(t, strings.HasPrefix(from.Error(), "shard: "), "%q", from)
		require.True(t, strings.HasPrefix(to.Error(), "actor: "), "%q", to)
		require.Same(t, to, userErr(from))
	}
	// The keys are distinct sentinels of shard; as many as it declares.
	names := shardSentinels(t)
	require.Len(t, fromShard, len(names), "shard declares %v; fromShard must translate each", names)
}

func TestWrappedShardErrorsAreRebuilt(t *testing.T) {
	// A close that timed out while closing for a shutdown: both hold, and
	// the text is actor's.
	err := userErr(&shard.CloseTimeoutError{Reason: shard.ErrShutdown})
	require.ErrorIs(t, err, ErrCloseTimeout)
	require.ErrorIs(t, err, ErrShutdown)
	require.NotErrorIs(t, err, shard.ErrShutdown)
	require.NotContains(t, err.Error(), "shard:")

	// A failed operation keeps its cause (here a socket error) reachable.
	cause := errors.New("bind: address already in use")
	err = userErr(&shard.OpError{Op: "listen tcp://x", Err: cause})
	require.ErrorIs(t, err, cause)
	require.True(t, strings.HasPrefix(err.Error(), "actor: listen tcp://x: "), err.Error())
	err = userErr(&shard.OpError{Op: "listen udp://x", Err: shard.ErrStreamOverPacket})
	require.ErrorIs(t, err, ErrStreamOverPacket)
	require.NotContains(t, err.Error(), "shard:")

	// Errors of no shard origin pass as they are.
	require.Same(t, cause, userErr(cause))
	require.NoError(t, userErr(nil))
}

// actor's constants are its own, and must agree with the event loop's.
func TestConstantsAgreeWithShard(t *testing.T) {
	require.Equal(t, shard.MaxNode, MaxNode)
	require.Equal(t, shard.MaxShards, MaxShards)
	require.Equal(t, shard.DefaultCloseTimeout, DefaultCloseTimeout)
}

// sliceErr is an error whose dynamic type is not comparable.
type sliceErr []string

func (e sliceErr) Error() string { return strings.Join(e, ", ") }

// boxErr is comparable by type but holds a value that is not.
type boxErr struct{ inner error }

func (e boxErr) Error() string { return e.inner.Error() }

// Errors whose values cannot be hashed pass through unchanged instead of
// panicking in the sentinel lookup.
func TestUncomparableErrorsPass(t *testing.T) {
	require.Equal(t, sliceErr{"a"}, userErr(sliceErr{"a"}))
	require.Equal(t, boxErr{sliceErr{"b"}}, userErr(boxErr{sliceErr{"b"}}))
}
