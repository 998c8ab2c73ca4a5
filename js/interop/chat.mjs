// The client library against the real chat server (examples/chat), driven
// by examples/chat/node_test.go: not a unit test of its own. Two clients,
// ann and bob, join a room over the URL given as argv[2]; ann says lines;
// the script prints "ready" and reads its standard input: on "restart" it
// says more lines while the server is away (they wait in the outbox), and
// on "check" it waits until bob has every line and prints one JSON line:
// {"ok": true} or {"ok": false, "why": ...}. It exits by itself after 60 s.
import WebSocket from "ws";
import { createInterface } from "node:readline";
import { connect } from "../shoal.js";

const url = process.argv[2];
const deadline = setTimeout(() => fail("timed out"), 60_000);

function fail(why) {
  console.log(JSON.stringify({ ok: false, why: String(why) }));
  process.exit(1);
}

function client(nick) {
  const c = connect(url, {
    WebSocket,
    groupKey: "room",
    minDelay: 50,
    maxDelay: 500,
    hello: (cl) => ({ type: "hello", data: { nick, session: cl.session } }),
    onError: fail,
  });
  c.lines = [];
  c.on("line", (d) => c.lines.push(d));
  c.on("error", (d) => {
    if (!/taken/.test(d.text)) fail(nick + " got error " + JSON.stringify(d));
  });
  return c;
}

const ann = client("ann"), bob = client("bob");
await ann.join("lobby");
await bob.join("lobby");
const said = [];
async function say(text) {
  said.push(text);
  return ann.publish("say", { room: "lobby", text });
}
const first = [];
for (let i = 0; i < 3; i++) first.push(say("before " + i));
const acks = await Promise.all(first);
if (new Set(acks.map((a) => a.pos)).size !== 3) fail("acks " + JSON.stringify(acks));
console.log("ready");

const input = createInterface({ input: process.stdin });
const pending = [];
for await (const line of input) {
  if (line === "restart") {
    // The server is going away or away: these wait in the outbox and are
    // resent, once, when the client is back.
    for (let i = 0; i < 3; i++) pending.push(say("during " + i));
    console.log("queued");
  } else if (line === "check") {
    await Promise.all(pending);
    for (let i = 0; i < 3; i++) await say("after " + i);
    const until = Date.now() + 20_000;
    while (bob.lines.length < said.length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const got = bob.lines.map((l) => l.text);
    const pos = bob.lines.map((l) => l.pos);
    const ok = JSON.stringify(got) === JSON.stringify(said) && new Set(pos).size === pos.length;
    console.log(JSON.stringify({ ok, said, got, ann: ann.lines.length, positions: bob.positions() }));
    ann.close();
    bob.close();
    clearTimeout(deadline);
    input.close();
    break;
  }
}
