package cluster_test

// Benchmarks of groups with settings kept in JetStream (issue 12, "What it
// must reach"). Every node here runs the embedded NATS server with
// JetStream in this process, on loopback, with file storage in a
// temporary directory; each sub-benchmark starts its own and stops it
// before it returns.
//
//	HistoryPublish/Ack = acknowledged publications to one group with
//	history, Shoal (Context.PublishAck) against nats.go's jetstream API
//	(PublishMsgAsync with a Nats-Msg-Id) in the same run.
//	HistoryPublish/NoAck = the same without acknowledgements, each
//	publication counted where it is delivered.
//	CrossNodeLatency = one publication at a time from node 1 to a member
//	on node 2, plain group and group with history: p50 and p99.
//	Recovery = 1 000 actors, 100 publications behind each, all calling
//	JoinSince at once: the time and CPU until all are live again.
//	IdleHistoryGroups = memory, stream state and disk of 10 000 groups
//	with history, one publication each, idle.
//
// Run them with -run '^$' (see each one's comment for the command).

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shoalrt/shoal/actor"
	"github.com/shoalrt/shoal/cluster"
	"github.com/shoalrt/shoal/cluster/natsserver"
)

// benchLine is the payload of every publication of these benchmarks: a
// line of chat of 32 bytes.
const benchLine = "a line of chat, thirty-two bytes"

// benchWarm is what the benchmarks publish before their timers start, not
// counted.
const benchWarm = "warm"

// benchRooms are the group settings of these benchmarks' nodes.
var benchRooms = actor.GroupSettings{Pattern: "room:*", History: 1000}

// benchDo is run by the actors of these benchmarks in their Receive.
type benchDo func(*actor.Context)

// benchWait bounds every wait of these benchmarks: past it they fail
// rather than hang.
const benchWait = 30 * time.Second

// storeSystem starts a system of node number node with shards shards and
// settings, on a cluster node that runs the embedded NATS server with
// JetStream (in dataDir; "" for a temporary directory removed at its
// Shutdown), or connects to url if url is not empty.
func storeSystem(b *testing.B, node, shards int, url, dataDir string, settings ...actor.GroupSettings) (*actor.System, *cluster.Node) {
	b.Helper()
	cfg := cluster.Config{}
	if url != "" {
		cfg.URL = url
	} else {
		cfg.Server = &natsserver.Server{Listen: "127.0.0.1:0", JetStream: true, DataDir: dataDir}
	}
	return storeSystemWith(b, node, shards, cfg, settings...)
}

// storeSystemWith is storeSystem with cfg (its Name, Messages, Logger and
// OnError are the benchmarks').
func storeSystemWith(b *testing.B, node, shards int, cfg cluster.Config, settings ...actor.GroupSettings) (*actor.System, *cluster.Node) {
	b.Helper()
	cfg.Name, cfg.Messages, cfg.Logger = "bench", []any{Chat{}}, slog.New(slog.DiscardHandler)
	cfg.OnError = func(err error) { b.Log(err) }
	n, err := cluster.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sys, err := actor.NewSystem(actor.Node(node), actor.Shards(shards), actor.Cluster(n), actor.Groups(settings...))
	if err != nil {
		b.Fatal(err)
	}
	if err := sys.Start(); err != nil {
		b.Fatal(err)
	}
	return sys, n
}

// cpuNow returns the CPU time (user and system) this process has used so
// far: the shards, the nodes' goroutines and the embedded NATS server.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pubJob is a run of acknowledged publications for an acker: n
// publications of benchLine, round-robin over groups, each with the key
// prefix and its number, at most window of them waiting for their
// Response. done is closed once every one is answered; last has, by
// group, the highest position acknowledged, and err the first error.
type pubJob struct {
	groups []string
	prefix string
	n      int
	window int

	sent, answered int
	last           map[string]actor.Position
	err            error
	done           chan struct{}
}

func newPubJob(groups []string, prefix string, n, window int) *pubJob {
	return &pubJob{groups: groups, prefix: prefix, n: n, window: window, last: make(map[string]actor.Position), done: make(chan struct{})}
}

// acker is the actor that runs pubJobs, one at a time.
type acker struct{ job *pubJob }

func (a *acker) Receive(c *actor.Context) {
	switch m := c.Message().(type) {
	case *pubJob:
		a.job = m
		if m.n == 0 {
			close(m.done)
			return
		}
		for m.sent < m.n && m.sent-m.answered < m.window {
			a.publish(c)
		}
	case actor.Response:
		j := a.job
		if m.Err != nil {
			if j.err == nil {
				j.err = m.Err
			}
		} else if p, ok := m.Msg.(actor.Published); ok && p.Position.Seq > j.last[p.Group].Seq {
			j.last[p.Group] = p.Position
		}
		a.answered(c)
	}
}

func (a *acker) publish(c *actor.Context) {
	j := a.job
	i := j.sent
	j.sent++
	if _, err := c.PublishAck(j.groups[i%len(j.groups)], j.prefix+strconv.Itoa(i), benchLine); err != nil {
		if j.err == nil {
			j.err = err
		}
		a.answered(c)
	}
}

func (a *acker) answered(c *actor.Context) {
	j := a.job
	if j.answered++; j.answered == j.n {
		close(j.done)
	} else if j.sent < j.n {
		a.publish(c)
	}
}

// spawnAcker spawns an acker on sys.
func spawnAcker(b *testing.B, sys *actor.System) actor.ID {
	b.Helper()
	id, err := sys.Spawn(func() actor.Actor { return &acker{} })
	if err != nil {
		b.Fatal(err)
	}
	return id
}

// runJob has the acker id run j and waits for it.
func runJob(b *testing.B, sys *actor.System, id actor.ID, j *pubJob) {
	b.Helper()
	if err := sys.Send(id, j); err != nil {
		b.Fatal(err)
	}
	select {
	case <-j.done:
	case <-time.After(benchWait):
		b.Fatalf("%d of %d publications answered in %v", j.answered, j.n, benchWait)
	}
	if j.err != nil {
		b.Fatal(j.err)
	}
}

// historyStream returns the name of the store's stream of the groups of
// pattern, and the subject prefix of its groups, as cluster/store_history.go
// makes them for cluster "bench".
func historyStream(pattern string) (name, subjects string) {
	f := fnv.New32a()
	f.Write([]byte(pattern))
	hash := fmt.Sprintf("%08x", f.Sum32())
	return "SHOAL_bench_H_" + hash, "shoal.bench.h." + hash + "."
}

// historyConfig is the stream config the store gives settings g (see
// openHistory in cluster/store_history.go), for the NATS baselines; with
// republish, its RePublish (the live feed) too.
func historyConfig(g actor.GroupSettings, republish bool) jetstream.StreamConfig {
	name, subjects := historyStream(g.Pattern)
	perSubject := int64(g.History)
	if perSubject == 0 {
		perSubject = -1
	}
	var rp *jetstream.RePublish
	if republish {
		hash := subjects[len("shoal.bench.h.") : len(subjects)-1]
		rp = &jetstream.RePublish{Source: subjects + "*", Destination: "shoal.bench.r." + hash + ".{{wildcard(1)}}"}
	}
	return jetstream.StreamConfig{
		Name:              name,
		Subjects:          []string{subjects + ">"},
		Retention:         jetstream.LimitsPolicy,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgsPerSubject: perSubject,
		MaxAge:            g.HistoryAge,
		Discard:           jetstream.DiscardOld,
		Duplicates:        actor.DefaultDedupWindow,
		Storage:           jetstream.FileStorage,
		Replicas:          1,
		RePublish:         rp,
	}
}

// natsBaseline is what a NATS baseline runs on: the embedded server with
// JetStream alone (no Shoal node), a connection, and the stream the store
// would make for benchRooms.
type natsBaseline struct {
	srv *natsserver.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	st  jetstream.Stream
}

// startBaseline starts a natsBaseline (its stream with the store's
// RePublish if republish); opts are the jetstream options, after the ones
// the store gives its own (a PubAck timeout of StoreTimeout, a pending
// bound it never reaches).
func startBaseline(b *testing.B, republish bool, opts ...jetstream.JetStreamOpt) *natsBaseline {
	b.Helper()
	nb := &natsBaseline{srv: &natsserver.Server{Listen: "127.0.0.1:0", JetStream: true}}
	url, err := nb.srv.Start()
	if err != nil {
		b.Fatal(err)
	}
	if nb.nc, err = nats.Connect(url); err != nil {
		nb.srv.Shutdown()
		b.Fatal(err)
	}
	opts = append([]jetstream.JetStreamOpt{jetstream.WithPublishAsyncTimeout(actor.StoreTimeout), jetstream.WithPublishAsyncMaxPending(1 << 17)}, opts...)
	if nb.js, err = jetstream.New(nb.nc, opts...); err != nil {
		nb.stop()
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), benchWait)
	defer cancel()
	if nb.st, err = nb.js.CreateOrUpdateStream(ctx, historyConfig(benchRooms, republish)); err != nil {
		nb.stop()
		b.Fatal(err)
	}
	return nb
}

func (nb *natsBaseline) stop() {
	if nb.nc != nil {
		nb.nc.Close()
	}
	nb.srv.Shutdown()
}

// storeWire returns the payload and headers the store of a node of these
// benchmarks sends JetStream for a publication of benchLine by an actor on
// subject (its group's token from byte token on) with key ("": none, no
// headers): what the baselines send too, so that the two sides put the
// same bytes on the wire and in the stream.
func storeWire(b *testing.B, subject string, token int, key string) ([]byte, nats.Header) {
	b.Helper()
	n, err := cluster.New(cluster.Config{Name: "bench", URL: "nats://127.0.0.1:4222", Messages: []any{Chat{}}}) // never started
	if err != nil {
		b.Fatal(err)
	}
	data, hdr, err := n.PublicationWire(subject, token, actor.ID(1<<32|1), benchLine, key)
	if err != nil {
		b.Fatal(err)
	}
	return data, hdr
}

// BenchmarkHistoryPublish: publications of benchLine (32 bytes) to one
// group with history (room:bench, History 1000) on one node running the
// embedded NATS server with JetStream (file storage), against the same
// publications made directly with nats.go's jetstream API in the same run.
//
//	go test -run '^$' -bench HistoryPublish -benchtime 200000x -count 5 ./cluster
//
// Ack/Shoal: an actor keeps 256 Context.PublishAck calls outstanding, each
// with its own idempotency key, and issues the next on each Response. One
// op = one acknowledged publication (its Response with a Published
// counted). Ack/NATS, the baseline: PublishMsgAsync to a stream with the
// store's config (the same name, subject of the same shape, the same
// per-subject limit and dedup window, file storage), 256 outstanding,
// PubAcks counted by an ack handler; one op = one PubAck. Each message is
// the one the store sends (storeWire): the same payload (the envelope
// around the line: its encoded type and sender), a Nats-Msg-Id of the same
// shape and the store's digest header (a value of the same length), so
// the server and the wire carry the same bytes on both sides. The client
// options are the store's (a PubAck timeout of StoreTimeout), and both
// connect to the server over loopback TCP. What Shoal adds is its own:
// encoding the envelope and computing the digest, its bookkeeping of the
// waiting publication, the Response through the actor's shard, and the
// stream's RePublish for the node's live feed (the server republishes
// each stored publication; here no member is there to take it).
// Ack/NATSRePublish is Ack/NATS to a stream with the store's RePublish
// too: the difference between the two baselines is what the live feed
// costs the server, the one between it and Ack/Shoal what the node costs.
//
// NoAck/Shoal: an actor publishes with Context.Publish (no key, no
// answer), and a member of the group on the same node counts what the
// live feed delivers; the publisher keeps at most 8 chunks of 100
// undelivered (the member acknowledges each chunk): fewer than History,
// since a feed further behind than that would find publications dropped by
// the per-subject limit before it read them (ErrFeedGap). Before the
// timer starts, the member has received a publication: Join returns before
// the node's live feed of the group has begun (what is stored before that
// is history, not delivered), so without it the first publications could
// be missed and the run never end. One op = one publication delivered to
// the member. NoAck/NATS, the baseline: PublishMsgAsync of the store's
// payload without headers (as the store sends it without a key), no wait
// per message, the same chunks and window, counted by an ordered consumer
// of the stream (what a client of JetStream alone would use for a live
// feed) read with Messages; one op = one message consumed.
//
// Allocations count everything in this process: the client, the node and
// the NATS server.
func BenchmarkHistoryPublish(b *testing.B) {
	const window = 256
	group := "room:bench"
	_, subjects := historyStream(benchRooms.Pattern)
	token := base64.RawURLEncoding.EncodeToString([]byte(group))
	subject := subjects + token
	b.Run("Ack", func(b *testing.B) {
		b.Run("Shoal", func(b *testing.B) {
			sys, _ := storeSystem(b, 1, 1, "", "", benchRooms)
			defer stopB(sys)
			id := spawnAcker(b, sys)
			runJob(b, sys, id, newPubJob([]string{group}, "warm-", 1000, window))
			j := newPubJob([]string{group}, "k", b.N, window)
			b.ReportAllocs()
			b.ResetTimer()
			runJob(b, sys, id, j)
		})
		ackNATS := func(b *testing.B, republish bool) {
			slots := make(chan struct{}, window)
			var failed atomic.Int64
			nb := startBaseline(b, republish,
				jetstream.WithPublishAsyncAckHandler(func(jetstream.JetStream, *nats.Msg, *jetstream.PubAck) { <-slots }),
				jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { failed.Add(1); <-slots }))
			defer nb.stop()
			data, hdr := storeWire(b, subject, len(subjects), "k0")
			if len(hdr) != 2 || len(hdr[cluster.DigestHeader]) != 1 || hdr.Get(jetstream.MsgIDHeader) != token+".k0" {
				b.Fatalf("the store's headers are %v, not a Msg-Id and a digest: update the baseline", hdr)
			}
			digest := hdr.Get(cluster.DigestHeader) // the same message each time: the same digest
			publish := func(prefix string, n int) {
				for i := range n {
					slots <- struct{}{} // a place in the window, given back by the PubAck
					m := &nats.Msg{Subject: subject, Data: append([]byte(nil), data...),
						Header: nats.Header{jetstream.MsgIDHeader: {token + "." + prefix + strconv.Itoa(i)}, cluster.DigestHeader: {digest}}}
					if _, err := nb.js.PublishMsgAsync(m); err != nil {
						b.Fatal(err)
					}
				}
				for range window { // every PubAck in
					slots <- struct{}{}
				}
				for range window {
					<-slots
				}
			}
			publish("warm-", 1000)
			b.ReportAllocs()
			b.ResetTimer()
			publish("k", b.N)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d publications not acknowledged", n)
			}
		}
		b.Run("NATS", func(b *testing.B) { ackNATS(b, false) })
		b.Run("NATSRePublish", func(b *testing.B) { ackNATS(b, true) })
	})
	// At most 800 undelivered: fewer than the group's History (1000), so
	// that the limits never drop a publication the feed has not read.
	const chunk, chunks = 100, 8
	b.Run("NoAck", func(b *testing.B) {
		b.Run("Shoal", func(b *testing.B) {
			sys, _ := storeSystem(b, 1, 2, "", "", benchRooms)
			defer stopB(sys)
			done := make(chan struct{})
			var src actor.ID
			got := 0
			live := make(chan struct{}, 1)
			member, err := sys.Spawn(func() actor.Actor {
				return actor.ReceiveFunc(func(c *actor.Context) {
					switch m := c.Message().(type) {
					case benchDo:
						m(c)
					case string:
						if m == benchWarm {
							select {
							case live <- struct{}{}:
							default:
							}
						} else if got++; got == b.N {
							close(done)
						} else if got%chunk == 0 {
							c.Send(src, Ack{})
						}
					}
				})
			})
			if err != nil {
				b.Fatal(err)
			}
			joined := make(chan struct{})
			sys.Send(member, benchDo(func(c *actor.Context) { c.Join(group); close(joined) }))
			<-joined
			// Until the live feed of the group has begun (a publication
			// reached the member): those stored before it are not
			// delivered.
			for deadline := time.Now().Add(benchWait); ; {
				if err := sys.Publish(group, benchWarm); err != nil {
					b.Fatal(err)
				}
				select {
				case <-live:
				case <-time.After(50 * time.Millisecond):
					if time.Now().After(deadline) {
						b.Fatalf("no publication delivered in %v", benchWait)
					}
					continue
				}
				break
			}
			sent := 0
			send := func(c *actor.Context) {
				for end := min(sent+chunk, b.N); sent < end; sent++ {
					if err := c.Publish(group, benchLine); err != nil {
						b.Error(err)
					}
				}
			}
			src, err = sys.Spawn(func() actor.Actor {
				return actor.ReceiveFunc(func(c *actor.Context) {
					switch c.Message().(type) {
					case string:
						for range chunks {
							send(c)
						}
					case Ack:
						send(c)
					}
				})
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			sys.Send(src, "go")
			select {
			case <-done:
			case <-time.After(benchWait):
				b.Fatalf("%d of %d delivered", got, b.N)
			}
		})
		b.Run("NATS", func(b *testing.B) {
			var failed atomic.Int64
			nb := startBaseline(b, false, jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { failed.Add(1) }))
			defer nb.stop()
			data, _ := storeWire(b, subject, len(subjects), "")
			ctx, cancel := context.WithTimeout(context.Background(), benchWait)
			defer cancel()
			cons, err := nb.js.OrderedConsumer(ctx, nb.st.CachedInfo().Config.Name, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
			if err != nil {
				b.Fatal(err)
			}
			it, err := cons.Messages()
			if err != nil {
				b.Fatal(err)
			}
			acks := make(chan struct{}, chunks+1)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for got := 1; got <= b.N; got++ {
					if _, err := it.Next(); err != nil {
						b.Error(err)
						return
					}
					if got%chunk == 0 {
						acks <- struct{}{}
					}
				}
			}()
			b.ReportAllocs()
			b.ResetTimer()
			sent, outstanding := 0, 0
			for sent < b.N {
				if outstanding == chunks {
					select {
					case <-acks:
					case <-done: // the consumer failed
					case <-time.After(benchWait):
						b.Fatalf("no chunk consumed in %v", benchWait)
					}
					outstanding--
				}
				for end := min(sent+chunk, b.N); sent < end; sent++ {
					if _, err := nb.js.PublishMsgAsync(&nats.Msg{Subject: subject, Data: append([]byte(nil), data...)}); err != nil {
						b.Fatal(err)
					}
				}
				outstanding++
			}
			select {
			case <-done:
			case <-time.After(benchWait):
				b.Fatalf("not all consumed in %v", benchWait)
			}
			b.StopTimer()
			it.Stop()
			select {
			case <-nb.js.PublishAsyncComplete():
			case <-time.After(benchWait):
				b.Fatal("PubAcks missing")
			}
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d publications not acknowledged", n)
			}
		})
	})
}

// BenchmarkCrossNodeLatency: two nodes, node 1 running the embedded NATS
// server with JetStream (file storage), node 2 connected to it by URL;
// one member of the group on node 2. The benchmark publishes benchLine
// (32 bytes) with System.Publish on node 1, one publication at a time:
// the next only once the member received the last. One op = one
// publication, from just before System.Publish on node 1 to the moment
// the member's Receive on node 2 sees it (a timestamp it takes there);
// ns/op is therefore the mean latency, and p50-µs, p99-µs its percentiles
// over the run's ops.
//
//	go test -run '^$' -bench CrossNodeLatency -benchtime 5000x -count 3 ./cluster
//
// Plain: a group without settings (core NATS, through node 1's batching
// flusher to node 2's subscription; the systems have group settings, this
// group matches none). History: a group with history
// (History 1000): stored in JetStream, then delivered to node 2 by its
// live feed of the stream. No baseline: the two are each other's.
func BenchmarkCrossNodeLatency(b *testing.B) {
	for _, tc := range []struct{ name, group string }{{"Plain", "plain"}, {"History", "room:latency"}} {
		b.Run(tc.name, func(b *testing.B) {
			sys1, n1 := storeSystem(b, 1, 2, "", "", benchRooms)
			defer stopB(sys1)
			sys2, n2 := storeSystem(b, 2, 2, n1.ClientURL(), "", benchRooms)
			defer stopB(sys2) // first
			ctx, cancel := context.WithTimeout(context.Background(), benchWait)
			defer cancel()
			if err := n1.WaitNodes(ctx, 2); err != nil {
				b.Fatal(err)
			}
			if err := n2.WaitNodes(ctx, 1); err != nil {
				b.Fatal(err)
			}
			got := make(chan time.Time, 1024)
			member, err := sys2.Spawn(func() actor.Actor {
				return actor.ReceiveFunc(func(c *actor.Context) {
					switch m := c.Message().(type) {
					case benchDo:
						m(c)
					case string:
						at := time.Now()
						select {
						case got <- at:
						default: // only while warming up
						}
					}
				})
			})
			if err != nil {
				b.Fatal(err)
			}
			joined := make(chan struct{})
			sys2.Send(member, benchDo(func(c *actor.Context) { c.Join(tc.group); close(joined) }))
			<-joined
			// Until node 1 knows of node 2's member (plain), and the path
			// is warm: then drain what came late.
			timer := time.NewTimer(benchWait)
			defer timer.Stop()
			deadline := time.Now().Add(benchWait)
			for arrived := 0; arrived < 100; {
				if err := sys1.Publish(tc.group, benchLine); err != nil {
					b.Fatal(err)
				}
				select {
				case <-got:
					arrived++
				case <-time.After(50 * time.Millisecond):
					if time.Now().After(deadline) {
						b.Fatalf("no publication reached node 2 in %v", benchWait)
					}
				}
			}
			for quiet := false; !quiet; {
				select {
				case <-got:
				case <-time.After(200 * time.Millisecond):
					quiet = true
				}
			}
			lat := make([]time.Duration, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range lat {
				t0 := time.Now()
				if err := sys1.Publish(tc.group, benchLine); err != nil {
					b.Fatal(err)
				}
				timer.Reset(10 * time.Second)
				select {
				case at := <-got:
					lat[i] = at.Sub(t0)
				case <-timer.C:
					b.Fatalf("publication %d not delivered in 10s", i)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p int) float64 { return float64(lat[min(len(lat)-1, len(lat)*p/100)]) / 1e3 }
			b.ReportMetric(pct(50), "p50-µs")
			b.ReportMetric(pct(99), "p99-µs")
		})
	}
}

// recoverer is an actor of BenchmarkRecovery: on "go" (a publication of
// the plain group "wave") it joins its group from the last position it
// saw, counts the replayed publications (checking that their positions
// grow), and on Recovered checks it and leaves the group again.
type recoverer struct {
	group string
	last  actor.Position
	got   int
	wave  *atomic.Pointer[wave]
}

// wave is one recovery wave of BenchmarkRecovery.
type wave struct {
	behind int                       // publications each member must get
	latest map[string]actor.Position // by group, the last publication
	left   atomic.Int64              // members not yet recovered
	failed atomic.Pointer[error]     // the first failure
	done   chan struct{}             // closed when left reaches 0
}

func (w *wave) fail(err error) { w.failed.CompareAndSwap(nil, &err) }

func (r *recoverer) Receive(c *actor.Context) {
	switch m := c.Message().(type) {
	case benchDo:
		m(c)
	case string:
		p, ok := c.Publication()
		switch {
		case !ok && m == "go":
			r.got = 0
			if err := c.JoinSince(r.group, r.last); err != nil {
				w := r.wave.Load()
				w.fail(err)
				if w.left.Add(-1) == 0 {
					close(w.done)
				}
			}
		case ok:
			if p.Position.Seq <= r.last.Seq {
				r.wave.Load().fail(fmt.Errorf("%s: position %v after %v", r.group, p.Position, r.last))
			}
			r.last = p.Position
			r.got++
		}
	case actor.Recovered:
		w := r.wave.Load()
		switch {
		case m.Err != nil:
			w.fail(m.Err)
		case r.got != w.behind || m.Count != w.behind:
			w.fail(fmt.Errorf("%s: %d replayed (Count %d), want %d", r.group, r.got, m.Count, w.behind))
		case m.Last != w.latest[r.group] || r.last != m.Last:
			w.fail(fmt.Errorf("%s: recovered to %v (last seen %v), want %v", r.group, m.Last, r.last, w.latest[r.group]))
		}
		c.Leave(r.group)
		if w.left.Add(-1) == 0 {
			close(w.done)
		}
	}
}

// BenchmarkRecovery: 1 000 actors (spawned: no client sockets are
// involved) on one system with 2 shards, each a member of a group with
// history (History 1000) that left it and is now 100 publications behind;
// all call JoinSince with their last position at once (a publication to a
// plain group they are all members of tells them to). One op = one whole
// recovery wave: from that publication until every actor has had its 100
// replayed publications, in order, and its Recovered (checked: no error,
// Count 100, Last the group's latest); each then leaves its group, and the
// next wave's 100 publications per group are made with the timer stopped.
// ms/op is the wave's time, cpu-ms/op the CPU the whole process used
// during it (getrusage RUSAGE_SELF, user + system).
//
//	go test -run '^$' -bench Recovery -benchtime 5x -count 3 ./cluster
//
// (JetStream/1000groups takes 15-20 s a wave on a 2-core machine, plus the
// 100 000 publications made before each.)
//
// JetStream: a cluster node running the embedded NATS server with
// JetStream (file storage). The server is in this process, so cpu-ms/op is
// the server's CPU as well as the node's and the shards'; each recovery is
// a few JetStream API requests (stream info, the group's last and first
// message, from the stream's leader; batched direct gets of its messages,
// store_direct.go) over the node's one NATS connection, on loopback. Most
// of the wave is the NATS file store's: a filtered read of one group
// among 1 000 interleaved walks each message block's messages one by one.
// JetStreamR3: the node on one server of three routed into a NATS cluster
// in this process, the stream with Replicas 3 (10groups only: 1000groups
// would make 100 000 replicated publications before each wave); about
// 2.5 s a wave. Memory: a system without a cluster (the in-memory
// store). 10groups: the actors are spread over 10 groups, 100 members each
// (a room of 100 reconnecting at once, 10 rooms): 1 000 publications in
// history behind the wave. 1000groups: each actor has a group of its own:
// 100 000 publications behind it.
//
// Allocations are counted during the waves only, the whole process's.
// No baseline: it answers "how long until 1 000 reconnecting clients are
// live again, and what does it cost the server".
func BenchmarkRecovery(b *testing.B) {
	const actors, behind = 1000, 100
	for _, store := range []string{"JetStream", "JetStreamR3", "Memory"} {
		for _, groups := range []int{10, 1000} {
			if store == "JetStreamR3" && groups == 1000 {
				continue // 100 000 replicated publications before each wave
			}
			b.Run(fmt.Sprintf("%s/%dgroups", store, groups), func(b *testing.B) {
				var sys *actor.System
				switch store {
				case "JetStream":
					sys, _ = storeSystem(b, 1, 2, "", "", benchRooms)
				case "JetStreamR3":
					urls := natsCluster(b)
					sys, _ = storeSystemWith(b, 1, 2, cluster.Config{URL: urls[0], Replicas: 3}, benchRooms)
				default:
					var err error
					if sys, err = actor.NewSystem(actor.Shards(2), actor.Groups(benchRooms)); err != nil {
						b.Fatal(err)
					}
					if err := sys.Start(); err != nil {
						b.Fatal(err)
					}
				}
				defer stopB(sys)
				names := make([]string, groups)
				for i := range names {
					names[i] = fmt.Sprint("room:", i)
				}
				pub := spawnAcker(b, sys)
				// One publication per group: where the actors start from.
				first := newPubJob(names, "start-", groups, 256)
				runJob(b, sys, pub, first)
				var current atomic.Pointer[wave]
				for i := range actors {
					r := &recoverer{group: names[i%groups], wave: &current}
					r.last = first.last[r.group]
					id, err := sys.Spawn(func() actor.Actor { return r })
					if err != nil {
						b.Fatal(err)
					}
					joined := make(chan struct{})
					sys.Send(id, benchDo(func(c *actor.Context) { c.Join("wave"); close(joined) }))
					<-joined
				}
				b.ReportAllocs()
				b.ResetTimer()
				var wall, cpu time.Duration
				for op := range b.N {
					b.StopTimer()
					j := newPubJob(names, fmt.Sprintf("w%d-", op), groups*behind, 256)
					runJob(b, sys, pub, j)
					w := &wave{behind: behind, latest: j.last, done: make(chan struct{})}
					w.left.Store(actors)
					current.Store(w)
					b.StartTimer()
					t0, c0 := time.Now(), cpuNow()
					if err := sys.Publish("wave", "go"); err != nil {
						b.Fatal(err)
					}
					select {
					case <-w.done:
					case <-time.After(benchWait):
						b.Fatalf("wave %d: %d of %d actors not recovered in %v", op, w.left.Load(), actors, benchWait)
					}
					wall += time.Since(t0)
					cpu += cpuNow() - c0
					if err := w.failed.Load(); err != nil {
						b.Fatalf("wave %d: %v", op, *err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(wall)/1e6/float64(b.N), "ms/op")
				b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// BenchmarkIdleHistoryGroups: 10 000 groups with history (History 100) on
// one cluster node running the embedded NATS server with JetStream (file
// storage, in a data directory of its own), one acknowledged publication of
// benchLine (32 bytes) each, then 12 s with no traffic (past the NATS file
// store's 10 s cache expiry). One op = the whole of it; ns/op means
// nothing. Reported (from the last op):
//
//	heap-B/group: Go heap in use (runtime.MemStats.HeapAlloc after a GC)
//	  once idle, minus the same before the node was made, over 10 000: the
//	  node, the system and the embedded NATS server with JetStream together,
//	  fixed costs included;
//	marginal-B/group: the same minus the heap once the node had started
//	  with its stream and buckets but no publication: what the groups
//	  themselves cost;
//	stream-B, stream-msgs, stream-subjects: the history stream's state as
//	  the jetstream API reports it (the groups' publications: one stream
//	  for all 10 000 groups, one subject each);
//	disk-B, disk-B/group: the data directory's allocated size (du), every
//	  stream and bucket included, over 10 000 for the latter.
//
//	go test -run '^$' -bench 'IdleHistoryGroups' -benchtime 1x -count 3 ./cluster
//
// No baseline; actor's BenchmarkIdleHistoryGroups is the in-memory store's.
func BenchmarkIdleHistoryGroups(b *testing.B) {
	const groups = 10_000
	const idle = 12 * time.Second
	settings := actor.GroupSettings{Pattern: "room:*", History: 100}
	names := make([]string, groups)
	for i := range names {
		names[i] = fmt.Sprint("room:", i)
	}
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	for range b.N {
		dir := b.TempDir()
		b.ReportAllocs() // of the whole op: start, publications, idle
		before := heap()
		sys, n := storeSystem(b, 1, 2, "", dir, settings)
		pub := spawnAcker(b, sys)
		started := heap()
		runJob(b, sys, pub, newPubJob(names, "k", groups, 256))
		time.Sleep(idle)
		after := heap()
		b.ReportMetric(float64(after-before)/groups, "heap-B/group")
		b.ReportMetric(float64(after-started)/groups, "marginal-B/group")

		state, err := streamState(n.ClientURL(), settings.Pattern)
		if err != nil {
			stopB(sys)
			b.Fatal(err)
		}
		b.ReportMetric(float64(state.Bytes), "stream-B")
		b.ReportMetric(float64(state.Msgs), "stream-msgs")
		b.ReportMetric(float64(state.NumSubjects), "stream-subjects")
		disk, err := diskUsage(dir)
		if err != nil {
			stopB(sys)
			b.Fatal(err)
		}
		b.ReportMetric(float64(disk), "disk-B")
		b.ReportMetric(float64(disk)/groups, "disk-B/group")
		stopB(sys)
	}
}

// streamState returns the state of the history stream of pattern on the
// NATS server at url, through a connection of its own.
func streamState(url, pattern string) (jetstream.StreamState, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return jetstream.StreamState{}, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return jetstream.StreamState{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), benchWait)
	defer cancel()
	name, _ := historyStream(pattern)
	st, err := js.Stream(ctx, name)
	if err != nil {
		return jetstream.StreamState{}, fmt.Errorf("stream %s: %w", name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return jetstream.StreamState{}, err
	}
	return info.State, nil
}

// diskUsage returns the bytes allocated to the files under dir, as du
// counts them.
func diskUsage(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // removed meanwhile (a compaction)
				return nil
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			total += st.Blocks * 512
		} else {
			total += info.Size()
		}
		return nil
	})
	return total, err
}
