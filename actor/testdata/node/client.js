// Node clients for actor/node_tls_test.go. Each prints one line
// "RESULT {json}" on success and exits 0; on a failure it prints
// "FAIL reason" and exits 1.
//
//   node client.js wss URL CA.pem TLSv1.x
//     the npm ws client: sends a text message and a binary one, checks
//     each echo, closes with 1000.
//   node client.js tls HOST PORT CA.pem TLSv1.x BYTES
//     node's tls module, ALPN "shoal/1": sends BYTES random bytes and
//     checks the echo, then ends (close_notify).
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const tls = require("tls");

function fail(reason) {
  console.log("FAIL " + reason);
  process.exit(1);
}

function wss(url, caFile, version) {
  const WebSocket = require("ws");
  const ws = new WebSocket(url, {
    ca: fs.readFileSync(caFile),
    minVersion: version,
    maxVersion: version,
    perMessageDeflate: true,
  });
  const text = "hello from node ws ".repeat(100);
  const binary = crypto.randomBytes(70000);
  const result = { text: false, binary: false };
  let step = 0;
  ws.on("upgrade", (res) => {
    result.tls = res.socket.getProtocol();
    result.authorized = res.socket.authorized;
  });
  ws.on("open", () => {
    result.extensions = ws.extensions;
    ws.send(text);
  });
  ws.on("message", (data, isBinary) => {
    if (step === 0) {
      step = 1;
      if (isBinary || data.toString() !== text) fail("text echo differs");
      result.text = true;
      ws.send(binary);
    } else if (step === 1) {
      step = 2;
      if (!isBinary || !Buffer.from(data).equals(binary)) fail("binary echo differs");
      result.binary = true;
      ws.close(1000, "bye");
    }
  });
  ws.on("close", (code) => {
    result.closeCode = code;
    if (step !== 2) fail("closed early with " + code);
    console.log("RESULT " + JSON.stringify(result));
  });
  ws.on("error", (err) => fail("ws: " + err.message));
}

function tlsEcho(host, port, caFile, version, size) {
  const want = crypto.randomBytes(size);
  const got = [];
  let n = 0;
  const socket = tls.connect({
    host,
    port,
    ca: fs.readFileSync(caFile),
    minVersion: version,
    maxVersion: version,
    ALPNProtocols: ["shoal/1"],
  });
  const result = {};
  socket.on("secureConnect", () => {
    result.tls = socket.getProtocol();
    result.alpn = socket.alpnProtocol;
    result.authorized = socket.authorized;
    socket.write(want);
  });
  socket.on("data", (chunk) => {
    got.push(chunk);
    n += chunk.length;
    if (n > size) fail("echo longer than sent");
    if (n === size) {
      if (!Buffer.concat(got).equals(want)) fail("echo differs");
      result.echoed = n;
      socket.end();
    }
  });
  socket.on("close", () => {
    if (result.echoed !== size) fail("closed after " + n + " of " + size + " bytes");
    console.log("RESULT " + JSON.stringify(result));
  });
  socket.on("error", (err) => fail("tls: " + err.message + " after " + n + " of " + size + " bytes echoed"));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "wss") {
  wss(args[0], args[1], args[2]);
} else if (mode === "tls") {
  tlsEcho(args[0], Number(args[1]), args[2], args[3], Number(args[4]));
} else {
  fail("usage: client.js wss|tls ...");
}
