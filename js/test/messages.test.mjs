// Typed messages, requests, and handlers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mockServer, client, event } from "./mock.mjs";
import { connect, ShoalError } from "../shoal.js";

test("send and receive typed envelopes", { timeout: 5000 }, async () => {
  const s = await mockServer();
  const c = client(s.url);
  try {
    assert.equal(c.send("early", {}), false, "send before the connection opens");
    const seen = [];
    c.on("line", (data, env) => seen.push(["line", data, env.type]));
    c.on("*", (data, env) => seen.push(["*", env.type]));
    const peer = await s.peer();
    await event(c, "open");
    assert.equal(c.connected, true);
    assert.equal(c.send("ping", { n: 1 }), true);
    assert.deepEqual(await peer.next(), { type: "ping", data: { n: 1 } });
    const got = event(c, "other");
    peer.send("line", { text: "hi" });
    peer.send("other", {});
    await got;
    assert.deepEqual(seen, [["line", { text: "hi" }, "line"], ["*", "line"], ["*", "other"]]);
  } finally {
    c.close();
    await s.close();
  }
});

test("a throwing handler is reported and the others still run", { timeout: 5000 }, async () => {
  const s = await mockServer();
  const errors = [];
  const c = client(s.url, { onError: (e) => errors.push(e) });
  try {
    c.on("x", () => {
      throw new Error("boom");
    });
    const second = event(c, "x");
    const peer = await s.peer();
    await event(c, "open");
    peer.send("x", {});
    await second;
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, "boom");
    // Still working: a request answers.
    const r = c.request("q", {});
    const q = await peer.next();
    peer.send("a", { ref: q.data.ref });
    assert.equal((await r).type, "a");
  } finally {
    c.close();
    await s.close();
  }
});

test("request: the answer with its ref, errors, timeouts", { timeout: 5000 }, async () => {
  const s = await mockServer();
  const c = client(s.url);
  try {
    // Made before the connection opened: sent once it does.
    const first = c.request("who", { room: "lobby" });
    const peer = await s.peer();
    const q = await peer.next();
    assert.equal(q.type, "who");
    assert.equal(q.data.room, "lobby");
    assert.equal(typeof q.data.ref, "string");
    peer.send("members", { room: "other", ref: "not-" + q.data.ref });
    peer.send("members", { room: "lobby", nicks: ["ann"], ref: q.data.ref });
    assert.deepEqual(await first, { type: "members", data: { room: "lobby", nicks: ["ann"], ref: q.data.ref } });

    const refused = c.request("msg", { to: "nobody", text: "hi" });
    const m = await peer.next();
    assert.notEqual(m.data.ref, q.data.ref, "a fresh ref per request");
    peer.send("error", { ref: m.data.ref, text: "no such nick: nobody" });
    await assert.rejects(refused, (e) => {
      assert.ok(e instanceof ShoalError);
      assert.equal(e.code, "error");
      assert.equal(e.message, "no such nick: nobody");
      assert.equal(e.data.ref, m.data.ref);
      return true;
    });

    await assert.rejects(c.request("rooms", {}, { timeout: 50 }), { code: "timeout" });
    await peer.next(); // the rooms request went out

    // Closing rejects what is still waiting.
    const pending = c.request("rooms", {});
    c.close();
    await assert.rejects(pending, { code: "closed" });
    await assert.rejects(c.request("rooms", {}), { code: "closed" });
  } finally {
    c.close();
    await s.close();
  }
});

test("a request sent on a connection that drops fails at once", { timeout: 5000 }, async () => {
  const s = await mockServer();
  const c = client(s.url);
  try {
    const peer = await s.peer();
    await event(c, "open");
    const r = c.request("who", {});
    await peer.next();
    s.drop();
    await assert.rejects(r, { code: "disconnected" });
  } finally {
    c.close();
    await s.close();
  }
});

test("the session id and the constructor checks", () => {
  assert.throws(() => connect("ws://127.0.0.1:1/", { WebSocket: undefined }), TypeError, "Node 20 has no global WebSocket");
  assert.throws(() => connect([], {}), TypeError);
  const s = new Set();
  for (let i = 0; i < 50; i++) {
    const c = client("ws://127.0.0.1:1/", { minDelay: 10000 });
    assert.match(c.session, /^[A-Za-z0-9_-]{22,}$/);
    s.add(c.session);
    c.close();
  }
  assert.equal(s.size, 50);
});
