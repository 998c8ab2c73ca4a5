// Publications: acknowledged by key, resent after a reconnect, after the
// hello and the re-joins, with the same keys and in order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mockServer, client, event } from "./mock.mjs";

test("publish resolves on its ack and rejects on its error", { timeout: 5000 }, async () => {
  const s = await mockServer();
  const c = client(s.url, { groupKey: "room" });
  try {
    const peer = await s.peer();
    await event(c, "open");
    const one = c.publish("say", { room: "lobby", text: "one" });
    const two = c.publish("say", { room: "lobby", text: "two" });
    const a = await peer.next();
    const b = await peer.next();
    assert.equal(a.data.text, "one");
    assert.equal(typeof a.data.key, "string");
    assert.notEqual(a.data.key, b.data.key);
    // An ack is not a line: its position neither drops it nor moves the room's.
    peer.send("line", { room: "lobby", from: "ann", text: "one", pos: "e:5" });
    peer.send("ack", { room: "lobby", key: a.data.key, pos: "e:5", dup: false });
    peer.send("error", { room: "lobby", key: b.data.key, text: "slow down" });
    assert.deepEqual(await one, { room: "lobby", key: a.data.key, pos: "e:5", dup: false });
    await assert.rejects(two, { code: "error", message: "slow down" });
    assert.deepEqual(c.positions(), { lobby: "e:5" });
  } finally {
    c.close();
    await s.close();
  }
});

test("un-acked publications are resent after hello and re-join, same keys, in order", { timeout: 8000 }, async () => {
  const s = await mockServer();
  const hellos = [];
  const c = client(s.url, {
    groupKey: "room",
    hello: (cl) => {
      hellos.push(cl.session);
      return { type: "hello", data: { nick: "ann", session: cl.session } };
    },
  });
  try {
    let peer = await s.peer();
    assert.equal((await peer.next()).type, "hello");
    const joined = c.join("lobby", { last: 10 });
    const join = await peer.next();
    assert.deepEqual(join.data, { last: 10, room: "lobby", ref: join.data.ref });
    peer.send("line", { room: "lobby", from: "bob", text: "old", pos: "7:3" });
    peer.send("joined", { room: "lobby", pos: "7:3", count: 1, ref: join.data.ref });
    assert.equal((await joined).type, "joined");

    const pubs = ["a", "b", "c", "d"].map((text) => c.publish("say", { room: "lobby", text }));
    const sent = [];
    for (let i = 0; i < 4; i++) sent.push(await peer.next());
    assert.deepEqual(sent.map((e) => e.data.text), ["a", "b", "c", "d"]);
    peer.send("ack", { room: "lobby", key: sent[0].data.key, pos: "7:4" });
    assert.equal((await pubs[0]).pos, "7:4");
    peer.send("line", { room: "lobby", from: "ann", text: "a", pos: "7:4" });
    await event(c, "line");

    s.drop(); // b, c and d are not acknowledged
    const [info] = await event(c, "reconnecting");
    assert.equal(info.attempt, 1, "the connection worked: the back-off starts over");
    peer = await s.peer();
    const hello = await peer.next();
    assert.deepEqual(hello, { type: "hello", data: { nick: "ann", session: c.session } });
    const rejoin = await peer.next();
    assert.equal(rejoin.type, "join");
    assert.equal(rejoin.data.room, "lobby");
    assert.equal(rejoin.data.since, "7:4", "the re-join resumes from the last position seen");
    const resent = [await peer.next(), await peer.next(), await peer.next()];
    assert.deepEqual(resent, sent.slice(1), "the same envelopes, same keys, in order");
    assert.deepEqual(hellos, [c.session, c.session]);
    for (const e of resent) peer.send("ack", { room: "lobby", key: e.data.key, pos: "7:9", dup: true });
    const acks = await Promise.all(pubs.slice(1));
    assert.deepEqual(acks.map((a) => a.key), resent.map((e) => e.data.key));
    // Nothing is left to resend: a new publication goes out alone.
    c.publish("say", { room: "lobby", text: "e" });
    assert.equal((await peer.next()).data.text, "e");
  } finally {
    c.close();
    await s.close();
  }
});

test("close rejects what is not acknowledged", { timeout: 5000 }, async () => {
  const s = await mockServer();
  const c = client(s.url);
  try {
    const p = c.publish("say", { text: "x" }); // never connected yet
    c.close();
    await assert.rejects(p, { code: "closed" });
    await assert.rejects(c.publish("say", {}), { code: "closed" });
  } finally {
    c.close();
    await s.close();
  }
});

test("a publication refused with a retry code is kept, and the outbox resent in order after a pause", { timeout: 8000 }, async () => {
  const s = await mockServer();
  const c = client(s.url, { groupKey: "room", minDelay: 40, maxDelay: 80 });
  try {
    const peer = await s.peer();
    await event(c, "open");
    const pubs = ["a", "b", "c"].map((text) => c.publish("say", { room: "lobby", text }));
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push(await peer.next());
    peer.send("ack", { room: "lobby", key: sent[0].data.key, pos: "e:1" });
    // b and c: flood control refused them, for now.
    peer.send("error", { room: "lobby", key: sent[1].data.key, text: "slow down", code: "slow-down" });
    peer.send("error", { room: "lobby", key: sent[2].data.key, text: "slow down", code: "slow-down" });
    assert.equal((await pubs[0]).pos, "e:1");
    await new Promise((r) => setTimeout(r, 5));
    // A publication made during the pause waits for it, behind b and c.
    const d = c.publish("say", { room: "lobby", text: "d" });
    const again = [];
    for (let i = 0; i < 3; i++) again.push(await peer.next());
    assert.deepEqual(again.map((e) => e.data.text), ["b", "c", "d"]);
    assert.deepEqual(again.map((e) => e.data.key), [sent[1].data.key, sent[2].data.key, again[2].data.key]);
    for (const [i, e] of again.entries()) peer.send("ack", { room: "lobby", key: e.data.key, pos: "e:" + (i + 2) });
    assert.deepEqual((await Promise.all([pubs[1], pubs[2], d])).map((a) => a.pos), ["e:2", "e:3", "e:4"]);
  } finally {
    c.close();
    await s.close();
  }
});

test("a join refused with a retry code is sent again before the paused outbox", { timeout: 8000 }, async () => {
  const s = await mockServer();
  const c = client(s.url, { groupKey: "room", minDelay: 40, maxDelay: 80 });
  try {
    const peer = await s.peer();
    await event(c, "open");
    const joined = c.join("lobby");
    const join = await peer.next();
    const line = c.publish("say", { room: "lobby", text: "hi" });
    const say = await peer.next();
    // Both refused for now: the join must go again first, then the line.
    peer.send("error", { room: "lobby", ref: join.data.ref, text: "slow down", code: "slow-down" });
    peer.send("error", { room: "lobby", key: say.data.key, text: "slow down", code: "slow-down" });
    const again = await peer.next();
    assert.equal(again.type, "join");
    peer.send("joined", { room: "lobby", pos: "e:0", count: 0, ref: again.data.ref });
    const resent = await peer.next();
    assert.equal(resent.type, "say");
    assert.equal(resent.data.key, say.data.key);
    peer.send("ack", { room: "lobby", key: say.data.key, pos: "e:1" });
    assert.equal((await line).pos, "e:1");
    assert.equal((await joined).type, "joined");
  } finally {
    c.close();
    await s.close();
  }
});
