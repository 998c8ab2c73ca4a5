// A mock Shoal server for the tests (not a test itself): a ws
// WebSocketServer on 127.0.0.1, port 0, that hands each connection to the
// test as a Peer with a queue of the envelopes it received.
import { once } from "node:events";
import { WebSocketServer, WebSocket } from "ws";
import { connect } from "../shoal.js";

export { WebSocket };

export class Peer {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    ws.on("message", (text) => {
      const env = JSON.parse(String(text));
      const w = this.waiters.shift();
      if (w) w(env);
      else this.queue.push(env);
    });
  }
  // next resolves with the next envelope the client sent (fails the test
  // after ms).
  next(ms = 2000) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("mock: nothing received in " + ms + " ms")), ms);
      this.waiters.push((env) => {
        clearTimeout(t);
        resolve(env);
      });
    });
  }
  send(type, data) {
    this.ws.send(JSON.stringify({ type, data }));
  }
}

export async function mockServer() {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(wss, "listening");
  const peers = [];
  const waiting = [];
  wss.on("connection", (ws) => {
    const p = new Peer(ws);
    const w = waiting.shift();
    if (w) w(p);
    else peers.push(p);
  });
  return {
    wss,
    url: `ws://127.0.0.1:${wss.address().port}/ws`,
    // peer resolves with the next connection accepted.
    peer(ms = 2000) {
      if (peers.length) return Promise.resolve(peers.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("mock: no connection in " + ms + " ms")), ms);
        waiting.push((p) => {
          clearTimeout(t);
          resolve(p);
        });
      });
    },
    // drop ends every connection abruptly, as a dying server would.
    drop() {
      for (const ws of wss.clients) ws.terminate();
    },
    async close() {
      this.drop();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

// deadURL is a ws:// URL nobody listens on (a port just released).
export async function deadURL() {
  const s = await mockServer();
  const url = s.url;
  await s.close();
  return url;
}

// client connects with the ws package's WebSocket and small delays.
export function client(urls, options = {}) {
  return connect(urls, { WebSocket, minDelay: 10, maxDelay: 80, timeout: 2000, ...options });
}

export function event(c, type, ms = 2000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no " + type + " event in " + ms + " ms")), ms);
    const off = c.on(type, (...args) => {
      clearTimeout(t);
      off();
      resolve(args);
    });
  });
}
