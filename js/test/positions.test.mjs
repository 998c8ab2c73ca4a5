// Positions per group: tracked, duplicates dropped, re-joins resume.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mockServer, client, event } from "./mock.mjs";

test("positions are tracked and lines at or before them dropped", { timeout: 5000 }, async () => {
  const s = await mockServer();
  const c = client(s.url, { groupKey: "room" });
  try {
    const lines = [];
    c.on("line", (d) => lines.push(d.room + "@" + d.pos));
    const peer = await s.peer();
    await event(c, "open");
    const big = 18446744073709551615n; // 2^64-1: as Numbers, big-1 and big are equal
    const send = (room, pos) => peer.send("line", { room, from: "bob", text: "t", pos });
    send("a", "1:1");
    send("a", "1:2");
    send("a", "1:2"); // twice
    send("a", "1:1"); // earlier
    send("b", "1:1"); // another room has its own position
    send("a", "1:10"); // 10 > 2 as numbers, not as strings
    send("a", "1:9");
    send("c", `e:${big - 1n}`);
    send("c", `e:${big}`);
    send("c", `e:${big - 1n}`);
    send("c", `e:${big}`);
    send("a", "2:1"); // another epoch: the history started over
    send("x", "nonsense"); // not a position: passed on, not tracked
    peer.send("line", { room: "a", text: "no position" });
    peer.send("done", {});
    await event(c, "done");
    assert.deepEqual(lines, ["a@1:1", "a@1:2", "b@1:1", "a@1:10", `c@e:${big - 1n}`, `c@e:${big}`, "a@2:1", "x@nonsense", "a@undefined"]);
    assert.deepEqual(c.positions(), { a: "2:1", b: "1:1", c: `e:${big}` });
    const copy = c.positions();
    copy.a = "changed";
    assert.equal(c.positions().a, "2:1");
  } finally {
    c.close();
    await s.close();
  }
});

test("joined sets the resume point; re-joins carry since; leave forgets", { timeout: 8000 }, async () => {
  const s = await mockServer();
  const c = client(s.url, { groupKey: "room" });
  try {
    const joins = [];
    c.on("joined", (d) => joins.push(d.pos));
    let peer = await s.peer();
    const pa = c.join("a");
    const pb = c.join("b", { last: 5 });
    const pc = c.join("c");
    const ja = await peer.next();
    const jb = await peer.next();
    const jc = await peer.next();
    assert.deepEqual([ja.type, ja.data.room, jb.data.room, jb.data.last, jc.data.room], ["join", "a", "b", 5, "c"]);
    assert.equal(ja.data.since, undefined, "a first join has no since");
    peer.send("joined", { room: "a", pos: "1:4", count: 0, ref: ja.data.ref });
    peer.send("joined", { room: "b", pos: "", count: 0, ref: jb.data.ref }); // an empty room
    peer.send("error", { room: "c", text: "bad room", ref: jc.data.ref });
    assert.equal((await pa).data.pos, "1:4");
    assert.equal((await pb).type, "joined");
    await assert.rejects(pc, { message: "bad room" });
    assert.deepEqual(c.groups(), ["a", "b"], "a refused join forgets its group");
    assert.deepEqual(c.positions(), { a: "1:4" });
    // joined again with an older position: the resume point does not go back.
    peer.send("line", { room: "a", pos: "1:6", text: "x" });
    peer.send("joined", { room: "a", pos: "1:5" });
    await event(c, "joined");
    assert.deepEqual(c.positions(), { a: "1:6" });
    assert.deepEqual(joins, ["1:4", "", "1:5"], "joined is never dropped");

    s.drop();
    peer = await s.peer();
    const ra = await peer.next();
    const rb = await peer.next();
    assert.deepEqual([ra.data.room, ra.data.since], ["a", "1:6"]);
    assert.deepEqual([rb.data.room, rb.data.since, rb.data.last], ["b", undefined, 5], "no position: the original extra");
    // The replay repeats what was seen: dropped.
    const lines = [];
    c.on("line", (d) => lines.push(d.pos));
    peer.send("line", { room: "a", pos: "1:6", text: "x" });
    peer.send("line", { room: "a", pos: "1:7", text: "y" });
    peer.send("joined", { room: "a", pos: "1:7", ref: ra.data.ref });
    await event(c, "joined");
    assert.deepEqual(lines, ["1:7"]);

    const left = c.leave("a");
    const l = await peer.next();
    assert.deepEqual([l.type, l.data.room], ["leave", "a"]);
    peer.send("left", { room: "a", ref: l.data.ref });
    assert.equal((await left).type, "left");
    assert.deepEqual(c.groups(), ["b"]);
    assert.deepEqual(c.positions(), {});
  } finally {
    c.close();
    await s.close();
  }
});

test("a join made while disconnected is sent on connecting, once", { timeout: 5000 }, async () => {
  const s = await mockServer();
  const c = client(s.url, { groupKey: "room", hello: () => ({ type: "hello", data: {} }) });
  try {
    const p = c.join("lobby");
    const peer = await s.peer();
    assert.equal((await peer.next()).type, "hello");
    const j = await peer.next();
    assert.equal(j.data.room, "lobby");
    peer.send("joined", { room: "lobby", pos: "1:1", ref: j.data.ref });
    assert.equal((await p).data.room, "lobby");
    c.send("probe", {});
    assert.equal((await peer.next()).type, "probe", "no second join");
  } finally {
    c.close();
    await s.close();
  }
});
