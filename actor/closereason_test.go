package actor_test

import (
	"bufio"
	"strings"
	"testing"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/codec"
	"github.com/stretchr/testify/require"
)

// listErr is an error whose dynamic type cannot be a map key (like
// validator.ValidationErrors).
type listErr []string

func (e listErr) Error() string { return "invalid: " + strings.Join(e, ", ") }

// A close reason of a type that is not comparable reaches Closed.Err as it
// is; translating it must not panic the shard.
func TestUncomparableCloseReason(t *testing.T) {
	p := newProbe()
	p.onMsg = func(ctx *actor.Context) {
		if _, ok := ctx.Message().([]byte); ok {
			ctx.CloseWith(listErr{"a", "b"})
		}
	}
	_, l := startSystem(t, "127.0.0.1:0", codec.Bytes(codec.Line()), p.factory)
	c := dial(t, l.Addr())
	r := bufio.NewReader(c)
	_, err := c.Write([]byte("x\n"))
	require.NoError(t, err)
	_, err = r.ReadString('\n')
	requireClosed(t, err)
	closed := p.next(t, isClosed).msg.(actor.Closed)
	require.Equal(t, listErr{"a", "b"}, closed.Err)
}
