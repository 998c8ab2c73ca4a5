// Package cluster joins actor systems on several nodes into one cluster over
// NATS: sends, requests and asks to IDs of other nodes, and publications and
// broadcasts to groups with members on other nodes, travel as NATS messages.
//
// Each system gets a Node (New) and a node number. A node connects to NATS
// servers by Config.URL, or runs one itself with Config.Server: the
// embedded server of package natsserver is the one-machine default, and
// the other nodes connect to it by URL (its ClientURL):
//
//	node, err := cluster.New(cluster.Config{Server: &natsserver.Server{}, Messages: []any{Chat{}}})
//	sys, err := actor.NewSystem(actor.Node(1), actor.Cluster(node))
//
//	node, err := cluster.New(cluster.Config{URL: "nats://127.0.0.1:4222", Messages: []any{Chat{}}})
//	sys, err := actor.NewSystem(actor.Node(2), actor.Cluster(node))
//
// Package cluster does not import natsserver: a node built to connect by
// URL (to external NATS servers, in production) links no NATS server.
//
// Subjects, under "shoal.<cluster name>.": "n.<node>" carries a node's
// messages, requests and responses; "g.p.<group>" (or "g.b.<base64url>" for
// names subjects cannot hold) a group's publications and broadcasts, to the
// nodes with members, which subscribe while they have some; "hb" and "bye"
// carry heartbeats and goodbyes; "claim.<node>" answers for a node number in
// use. Envelopes are encoded when sent and gathered per subject; a flusher
// goroutine publishes each subject's batch as one NATS message. Everything a
// node receives is handed to its system by one goroutine, in the order NATS
// delivered it, so messages from one node to another keep their order
// (heartbeats have a goroutine of their own, so a full shard never delays
// them). Messages are msgpack, tagged by a codec.Registry built from
// Config.Messages.
//
// Membership: a node knows another alive from its first heartbeat until it
// says goodbye, misses Config.HeartbeatMisses heartbeats (presumed dead), or
// is replaced by a new incarnation with its number. Each change is reported
// to the local system, whose actors hear it if they watch
// (actor.Context.WatchNodes): actor.NodeUp, and actor.NodeDown with the
// reason (ErrNodeLeft, ErrNodeSilent, ErrNodeRestarted). A node is forgotten
// before its NodeDown is delivered, so from then on sends to it fail at
// once with ErrNoNode. See Config.HeartbeatMisses for the bound on how soon
// a dead node is reported.
//
// Groups with settings (actor.Groups: history, positions, acknowledged
// publications, presence, names) are kept in JetStream by the node's
// GroupStore, which the system uses instead of its in-memory one. Each
// GroupSettings with history is one stream, SHOAL_<cluster>_H_<hash of its
// pattern>, on the subjects "h.<hash>.>": a group is the subject
// "h.<hash>.<name in base64url>", its limits are per subject (History,
// HistoryAge), so 10 000 idle groups are one stream's 10 000 subjects, not
// 10 000 streams. A position is the stream's creation time (its epoch) and
// the message's stream sequence. PublishAck publishes with Nats-Msg-Id
// (group and key) and a digest of the message, which tells a resend
// (answered with the first position) from a key reused for another message
// (actor.ErrKeyReused). Live delivery: each history stream republishes
// (JetStream RePublish) every message it stores on core NATS, on the
// group's subject "r.<hash>.<name in base64url>", with its sequence and the
// sequence of the group's previous message; a node subscribes to the
// republished subjects of the history groups it has members of (and no
// others: a publication costs one message per node with members), and
// hands each group's publications to its members in order. A node that
// missed some (a slow consumer, a reconnect, a NATS route still learning
// of the subscription, a new stream leader) sees it in the next one's
// previous sequence, or in a probe of the group's last message after such
// an event, and reads the missed ones back from the stream; what the
// group's limits dropped first is reported (FeedGapError). Publications of
// history groups do not travel by core NATS otherwise. Recovery and
// History read a group's subject with batched direct gets (the streams
// have AllowDirect: any replica answers, and a read does not end short of
// a message the leader is known to hold), up to the group's latest message
// at the time of the request, which the stream's leader gives (the node's
// feed of the group began first: see the seam in store_history.go and
// store_direct.go). Presence and
// names are the key-value buckets
// SHOAL_<cluster>_presence and SHOAL_<cluster>_names; when a node goes
// down, the lowest-numbered live node removes its entries, and those of
// any other incarnation not alive older than a grace period (what a
// cleaner that died before cleaning left), and a node starting removes
// those of its number's earlier incarnation. Config.Storage and
// Config.Replicas say how JetStream keeps them. A system without group
// settings makes no JetStream request (and needs none) unless it registers
// names.
//
// Config.Logger receives structured records of the connection, of nodes
// coming up and going down, and of the errors OnError sees (rate-limited);
// nothing per message. The node's Prometheus collector is in
// cluster/metrics, so this package needs no Prometheus client.
//
// The package owns the wire form of envelopes, membership (heartbeats) and
// the NATS connection; it knows actor only through actor.Remote,
// actor.Local, actor.MaxNode and the group store's types (actor.GroupStore,
// GroupSink and what they carry), and nothing of the event loop (package
// shard), of sockets, of the NATS server or of Prometheus. Its files, one
// concept each: node.go (Config, Node, start and stop), route.go (sending
// envelopes and receiving them), interest.go (subscribing to groups with
// local members), membership.go (heartbeats, goodbyes, node events),
// subjects.go, wire.go (the envelope's encoding), batch.go (batches and the
// flusher), server.go (Server, a NATS server the node runs), store.go (the
// group store: start, stop, workers), store_history.go (history streams,
// publications, reads), store_feed.go (the live feed of history groups),
// store_kv.go (presence and names),
// log.go (the structured records), errors.go.
package cluster
