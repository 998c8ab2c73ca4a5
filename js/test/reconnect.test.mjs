// Reconnecting: back-off with jitter, bounded, reset by a good connection;
// round robin over URLs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mockServer, deadURL, client, event } from "./mock.mjs";

test("the back-off doubles, is capped, has jitter in [d/2, d]", { timeout: 8000 }, async () => {
  const url = await deadURL();
  const c = client(url, { minDelay: 8, maxDelay: 64 });
  try {
    const seen = [];
    const closes = [];
    c.on("close", (info) => closes.push(info));
    await new Promise((resolve) => {
      c.on("reconnecting", (info) => {
        seen.push(info);
        if (seen.length === 9) resolve();
      });
    });
    seen.forEach((info, i) => {
      const d = Math.min(64, 8 * 2 ** i);
      assert.equal(info.attempt, i + 1);
      assert.equal(info.url, url);
      assert.ok(info.delay >= d / 2 && info.delay <= d, `attempt ${info.attempt}: delay ${info.delay} not in [${d / 2}, ${d}]`);
    });
    // Jitter: the capped delays are not all the same.
    const capped = seen.slice(4).map((i) => i.delay);
    assert.ok(new Set(capped).size > 1, "no jitter: " + capped);
    assert.ok(closes.length >= 9 && closes.every((i) => i.code === 1006 && i.url === url));
  } finally {
    c.close();
  }
});

test("a connection that opened and heard something resets the back-off", { timeout: 8000 }, async () => {
  const s = await mockServer();
  const c = client(s.url, { minDelay: 8, maxDelay: 64 });
  try {
    // Opened but silent, three times: the back-off grows.
    const attempts = [];
    c.on("reconnecting", (i) => attempts.push(i.attempt));
    for (let i = 0; i < 3; i++) {
      const peer = await s.peer();
      await event(c, "open");
      peer.ws.close(4001, "go away");
      const [info] = await event(c, "close");
      assert.deepEqual(info, { code: 4001, reason: "go away", url: s.url });
    }
    assert.deepEqual(attempts, [1, 2, 3]);
    const peer = await s.peer();
    await event(c, "open");
    peer.send("hi", {});
    await event(c, "hi");
    s.drop();
    const [info] = await event(c, "reconnecting");
    assert.equal(info.attempt, 1);
    await s.peer();
  } finally {
    c.close();
    await s.close();
  }
});

test("round robin: when a server dies the client moves to the next URL", { timeout: 8000 }, async () => {
  const a = await mockServer();
  const b = await mockServer();
  const c = client([a.url, b.url]);
  try {
    const opens = [];
    c.on("open", (i) => opens.push(i.url));
    const pa = await a.peer();
    await event(c, "open");
    assert.equal(c.url, a.url);
    pa.send("hi", {});
    await event(c, "hi");
    await a.close(); // a dies for good
    const [r] = await event(c, "reconnecting");
    assert.equal(r.url, b.url);
    await b.peer();
    await event(c, "open");
    assert.equal(c.url, b.url);
    // b dies too: the client tries a (dead), then b again.
    const tried = [];
    c.on("reconnecting", (i) => tried.push(i.url));
    b.drop();
    const pb = await b.peer();
    await event(c, "open");
    assert.deepEqual(tried.slice(0, 2), [a.url, b.url]);
    assert.deepEqual(opens, [a.url, b.url, b.url]);
    pb.send("hi", {});
    await event(c, "hi");
  } finally {
    c.close();
    await a.close();
    await b.close();
  }
});
