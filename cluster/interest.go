package cluster

import "fmt"

// Interest records that this node got its first member of group (on) or
// lost its last; the flusher goroutine then subscribes to the group's
// publications or unsubscribes, so the shard that called it never waits for
// NATS. A group with history is the group store's instead: it follows the
// group's republished stream messages (store_feed.go), and the group needs
// no subscription of the node's. Called by the system on shard goroutines.
func (n *Node) Interest(group string, on bool) {
	n.imu.Lock()
	if on {
		n.want[group] = true
	} else {
		delete(n.want, group)
	}
	n.dirty[group] = struct{}{}
	n.store.interest(group, on)
	n.imu.Unlock()
	select { // the flusher applies it
	case n.batch.kick <- struct{}{}:
	default:
	}
}

// applyInterest brings the group subscriptions in line with what Interest
// recorded. The flusher goroutine only.
func (n *Node) applyInterest() {
	type change struct {
		group string
		on    bool
	}
	n.imu.Lock()
	if len(n.dirty) == 0 {
		n.imu.Unlock()
		return
	}
	changes := make([]change, 0, len(n.dirty))
	for g := range n.dirty {
		changes = append(changes, change{g, n.want[g]})
	}
	clear(n.dirty)
	n.imu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.running {
		return
	}
	for _, c := range changes {
		s := n.groups[c.group]
		if n.store.hasHistory(c.group) { // the store follows it (a subscription from before the store ran goes)
			if s != nil {
				s.Unsubscribe()
				delete(n.groups, c.group)
			}
			continue
		}
		switch {
		case c.on && s == nil:
			if err := n.subscribeGroup(c.group); err != nil {
				n.report(logSubscribe, fmt.Errorf("cluster: node %d: subscribing to group %q: %w", n.node, c.group, err))
			}
		case !c.on && s != nil:
			s.Unsubscribe()
			delete(n.groups, c.group)
		}
	}
}

// subscribeGroup subscribes to group's subject. n.mu held.
func (n *Node) subscribeGroup(group string) error {
	sub, err := n.nc.ChanSubscribe(n.groupSubject(group), n.in)
	if err != nil {
		return err
	}
	sub.SetPendingLimits(-1, -1)
	n.groups[group] = sub
	return nil
}
