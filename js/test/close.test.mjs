// close() stops everything: a child process that closes its client exits
// by itself, with no timer or socket left.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("..", import.meta.url));

const child = `
import { WebSocketServer, WebSocket } from "ws";
import { connect } from "./shoal.js";
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
await new Promise((r) => wss.on("listening", r));
const url = "ws://127.0.0.1:" + wss.address().port + "/ws";
const dead = new WebSocketServer({ host: "127.0.0.1", port: 0 });
await new Promise((r) => dead.on("listening", r));
const deadURL = "ws://127.0.0.1:" + dead.address().port + "/ws";
await new Promise((r) => dead.close(r));

// One client connected, with a request, a publication and a join pending.
const c = connect(url, { WebSocket, timeout: 60000, groupKey: "room" });
await new Promise((r) => c.on("open", r));
const results = Promise.allSettled([c.request("who", {}), c.publish("say", { text: "x" }), c.join("lobby")]);
const closed = new Promise((r) => c.on("close", r));
c.close();
const codes = (await results).map((r) => r.status + ":" + r.reason?.code);
const info = await closed;

// One waiting to reconnect to a dead server.
const d = connect(deadURL, { WebSocket, minDelay: 60000, maxDelay: 60000 });
await new Promise((r) => d.on("reconnecting", r));
d.close();
let again = false;
d.on("reconnecting", () => (again = true));

// One closed while still connecting.
const e = connect(url, { WebSocket });
e.close();

wss.close();
setTimeout(() => {
  // Left: this timer itself (and stdout).
  const left = process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap" && r !== "PipeWrap");
  console.log(JSON.stringify({ codes, code: info.code, again, left }));
}, 200);
`;

test("close() leaves nothing running: the process exits", { timeout: 10000 }, async () => {
  const p = spawn(process.execPath, ["--input-type=module", "-e", child], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  p.stdout.on("data", (b) => (out += b));
  const killer = setTimeout(() => p.kill("SIGKILL"), 8000);
  const [code, signal] = await new Promise((r) => p.on("exit", (code, signal) => r([code, signal])));
  clearTimeout(killer);
  assert.equal(signal, null, "the child did not exit by itself: " + out);
  assert.equal(code, 0);
  const r = JSON.parse(out);
  assert.deepEqual(r.codes, ["rejected:closed", "rejected:closed", "rejected:closed"]);
  assert.equal(r.code, 1000);
  assert.equal(r.again, false);
  assert.deepEqual(r.left, ["Timeout"], "only the timer that looked");
});
