// shoal.js: a client for Shoal WebSocket servers that use the JSON codec,
// where every message is one text message {"type": T, "data": {...}}.
// One ES module with no dependencies, for browsers and Node 20+ (which has
// no global WebSocket: pass one, e.g. the ws package's, as options.WebSocket).
//
// It keeps one connection up, moving round robin over the URLs it was given,
// and makes a reconnect invisible where the server lets it: publications
// are resent with their idempotency keys until acknowledged, groups are
// re-joined from the last position seen, and what the server replays twice
// is dropped. See README.md for the conventions it assumes.

const defaults = {
  WebSocket: undefined,
  hello: undefined,
  onError: (err) => console.error("shoal:", err),
  minDelay: 250,
  maxDelay: 10000,
  timeout: 10000,
  groupKey: "group",
  positionKey: "pos",
  sinceKey: "since",
  keyKey: "key",
  refKey: "ref",
  joinType: "join",
  joinedType: "joined",
  leaveType: "leave",
  ackType: "ack",
  errorType: "error",
  retryCodes: ["slow-down", "retry"],
};

/** connect returns a Client that is already connecting to urls. */
export function connect(urls, options) {
  return new Client(urls, options);
}

/** ShoalError rejects requests and publications; code says why. */
export class ShoalError extends Error {
  constructor(message, code, data) {
    super(message);
    this.name = "ShoalError";
    this.code = code; // "timeout", "closed", "disconnected", or the server's (see README)
    this.data = data;
  }
}

// The alphabet of session ids: 64 characters, so a random byte & 63 picks
// each one uniformly.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function randomId(n) {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => alphabet[b & 63]).join("");
}

// parsePosition reads "epoch:seq" (seq a decimal up to 2^64, so a BigInt:
// a Number loses exactness past 2^53), or returns null.
function parsePosition(s) {
  if (typeof s !== "string") return null;
  const i = s.lastIndexOf(":");
  if (i < 0 || !/^\d+$/.test(s.slice(i + 1))) return null;
  return { epoch: s.slice(0, i), seq: BigInt(s.slice(i + 1)), text: s };
}

// handled marks a promise as handled and returns it: a caller that ignores
// what join, leave or publish return gets no unhandled rejection (which
// would end a Node process), one that awaits it still sees the error.
function handled(p) {
  p.catch(() => {});
  return p;
}

export class Client {
  constructor(urls, options = {}) {
    this._urls = [].concat(urls);
    if (this._urls.length === 0) throw new TypeError("shoal: no URL to connect to");
    this.options = { ...defaults, ...options };
    this._WebSocket = this.options.WebSocket ?? globalThis.WebSocket;
    if (typeof this._WebSocket !== "function") {
      throw new TypeError("shoal: no WebSocket here; pass one as options.WebSocket");
    }
    // The session outlives connections: the server scopes publication keys
    // by it, and lets a reconnecting client take its place back.
    this.session = randomId(22);
    this._handlers = new Map(); // type -> Set of functions
    this._pending = new Map(); // ref -> {envelope, resolve, reject, timer, sent}
    this._waiting = []; // refs of requests made while disconnected, in order
    this._outbox = new Map(); // key -> {envelope, resolve, reject}, in order
    this._groups = new Map(); // group -> {extra, waiters: Set of {resolve, reject, timer}}
    this._positions = new Map(); // group -> parsed position
    this._count = 0; // numbers refs and keys
    this._next = 0; // index of the next URL to try
    this._attempt = 0; // failed attempts since the last good connection
    this._ws = null;
    this._url = null;
    this._open = false;
    this._timer = null;
    this._closed = false;
    this._stall = null; // the timer of a pause of the outbox, after a retryable refusal
    this._stalls = 0; // such pauses in a row, for the back-off
    this._rejoins = new Map(); // group -> timer (or null once sent) of a join refused for now, until answered
    this._dial();
  }

  /** connected says whether a connection is open now. */
  get connected() {
    return this._open;
  }

  /** url is the URL of the current (or last tried) connection. */
  get url() {
    return this._url;
  }

  /** send sends a message now and returns true, or false if not connected (nothing is queued). */
  send(type, data = {}) {
    return this._open && this._write({ type, data });
  }

  /**
   * request sends a copy of data with data[refKey] set to a fresh id and
   * resolves with the first incoming envelope whose data[refKey] is that id
   * (rejects if it is an error). While disconnected it waits for the
   * connection; either way for at most options.timeout ms.
   */
  request(type, data = {}, { timeout = this.options.timeout } = {}) {
    if (this._closed) return Promise.reject(new ShoalError("client closed", "closed"));
    const ref = "r" + ++this._count;
    const envelope = { type, data: { ...data, [this.options.refKey]: ref } };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(ref);
        reject(new ShoalError(`no answer to ${type} in ${timeout} ms`, "timeout"));
      }, timeout);
      const p = { envelope, resolve, reject, timer, sent: false };
      this._pending.set(ref, p);
      if (this._open) p.sent = this._write(envelope);
      else this._waiting.push(ref);
    });
  }

  /**
   * publish sends a copy of data with data[keyKey] set to a key unique in
   * this session and keeps it until an ack (resolve with its data) or an
   * error (reject) with that key arrives, resending it on every reconnect.
   */
  publish(type, data = {}) {
    if (this._closed) return handled(Promise.reject(new ShoalError("client closed", "closed")));
    const key = String(++this._count);
    const envelope = { type, data: { ...data, [this.options.keyKey]: key } };
    return handled(
      new Promise((resolve, reject) => {
        this._outbox.set(key, { envelope, resolve, reject });
        if (this._open && !this._stall) this._write(envelope);
      }),
    );
  }

  /**
   * join joins group now (or as soon as connected) and on every reconnect,
   * from the last position seen; it resolves with the answer to the join
   * (the joined envelope). A refusal forgets the group.
   */
  join(group, extra = {}, { timeout = this.options.timeout } = {}) {
    if (this._closed) return handled(Promise.reject(new ShoalError("client closed", "closed")));
    const g = this._groups.get(group) ?? { waiters: new Set() };
    g.extra = extra;
    this._groups.set(group, g);
    return handled(
      new Promise((resolve, reject) => {
        const w = { resolve, reject };
        w.timer = setTimeout(() => {
          g.waiters.delete(w);
          reject(new ShoalError(`not joined to ${group} in ${timeout} ms`, "timeout"));
        }, timeout);
        g.waiters.add(w);
        // An explicit join starts from the extra given, not from a position.
        if (this._open) this._sendJoin(group, false);
      }),
    );
  }

  /** leave forgets group and its position and, if connected, tells the server. */
  leave(group, type = this.options.leaveType) {
    const g = this._groups.get(group);
    clearTimeout(this._rejoins.get(group));
    this._rejoins.delete(group);
    this._groups.delete(group);
    this._positions.delete(group);
    if (g) this._settle(g, null, new ShoalError(`left ${group}`, "left"));
    if (!this._open) return handled(Promise.resolve(null));
    return handled(this.request(type, { [this.options.groupKey]: group }));
  }

  /** positions returns a copy of the last position seen per group. */
  positions() {
    return Object.fromEntries([...this._positions].map(([g, p]) => [g, p.text]));
  }

  /** groups returns the groups joined (or being joined), in order of joining. */
  groups() {
    return [...this._groups.keys()];
  }

  /** on calls fn for every event of type; it returns a function that stops it. */
  on(type, fn) {
    if (!this._handlers.has(type)) this._handlers.set(type, new Set());
    this._handlers.get(type).add(fn);
    return () => this.off(type, fn);
  }

  off(type, fn) {
    this._handlers.get(type)?.delete(fn);
  }

  /** close stops for good: no reconnect, and everything pending is rejected. */
  close() {
    if (this._closed) return;
    this._closed = true;
    this._open = false;
    clearTimeout(this._timer);
    clearTimeout(this._stall);
    for (const t of this._rejoins.values()) clearTimeout(t);
    this._rejoins.clear();
    const err = () => new ShoalError("client closed", "closed");
    for (const p of this._pending.values()) {
      clearTimeout(p.timer);
      p.reject(err());
    }
    this._pending.clear();
    this._waiting = [];
    for (const o of this._outbox.values()) o.reject(err());
    this._outbox.clear();
    for (const g of this._groups.values()) this._settle(g, null, err());
    if (this._ws) {
      try {
        this._ws.close(1000, "closed by the client");
      } catch (e) {
        this._report(e);
      }
    }
  }

  // _dial opens a connection to the next URL.
  _dial() {
    this._timer = null;
    const url = this._urls[this._next++ % this._urls.length];
    this._url = url;
    let ws;
    try {
      ws = new this._WebSocket(url);
    } catch (e) {
      this._report(e);
      this._lost({ code: 1006, reason: String(e?.message ?? e), url }, false);
      return;
    }
    this._ws = ws;
    let opened = false;
    let heard = false;
    // A connection that never opens (a black-holed address) counts as failed.
    const openTimer = setTimeout(() => ws.close(), this.options.timeout);
    ws.onopen = () => {
      clearTimeout(openTimer);
      if (ws !== this._ws) return;
      opened = true;
      this._opened(url);
    };
    ws.onmessage = (e) => {
      if (ws !== this._ws) return;
      heard = true;
      this._receive(e.data);
    };
    ws.onerror = () => {}; // the close event that follows says what happened
    ws.onclose = (e) => {
      clearTimeout(openTimer);
      if (ws !== this._ws) return;
      this._ws = null;
      this._lost({ code: e.code, reason: e.reason ?? "", url }, opened && heard);
    };
  }

  // _opened sends, in this order, the hello, the joins, the outbox and the
  // requests made while disconnected: publications need their groups joined,
  // and everything needs the hello's session.
  _opened(url) {
    this._open = true;
    clearTimeout(this._stall);
    this._stall = null;
    for (const t of this._rejoins.values()) clearTimeout(t); // joined again below
    this._rejoins.clear();
    try {
      const hello = this.options.hello?.(this);
      if (hello) this._write(hello);
    } catch (e) {
      this._report(e);
    }
    for (const group of this._groups.keys()) this._sendJoin(group, true);
    for (const o of this._outbox.values()) this._write(o.envelope);
    for (const ref of this._waiting.splice(0)) {
      const p = this._pending.get(ref);
      if (p) p.sent = this._write(p.envelope);
    }
    this._emit("open", { url });
  }

  // _lost handles the end of a connection (or of an attempt): the requests
  // it carried get no answer now, so they fail at once; then a later
  // attempt, unless closed.
  _lost(info, healthy) {
    this._open = false;
    for (const [ref, p] of this._pending) {
      if (!p.sent) continue;
      this._pending.delete(ref);
      clearTimeout(p.timer);
      p.reject(new ShoalError(`connection lost before the answer to ${p.envelope.type}`, "disconnected"));
    }
    this._emit("close", info);
    if (this._closed) return;
    // Double the delay per failed attempt, start over after a connection
    // that worked; jitter so that clients dropped together come back apart.
    this._attempt = healthy ? 1 : this._attempt + 1;
    const delay = this._backoff(this._attempt);
    const url = this._urls[this._next % this._urls.length];
    this._emit("reconnecting", { attempt: this._attempt, delay, url });
    if (!this._closed) this._timer = setTimeout(() => this._dial(), delay);
  }

  // _sendJoin sends the join of a remembered group, from its last position
  // if resuming, and settles the group's waiters with the answer.
  _sendJoin(group, resume) {
    const g = this._groups.get(group);
    const o = this.options;
    const data = { ...g.extra, [o.groupKey]: group };
    const pos = this._positions.get(group);
    if (resume && pos) data[o.sinceKey] = pos.text;
    const done = () => {
      if (this._groups.get(group) === g) this._rejoins.delete(group);
    };
    this.request(o.joinType, data).then(
      (answer) => {
        done();
        this._settle(g, answer);
      },
      (err) => {
        // Lost with the connection: the next one joins again. Refused: forget
        // the group, or every reconnect would be refused again.
        if (err.code === "disconnected" || err.code === "timeout") return done();
        if (this.options.retryCodes.includes(err.code)) {
          // Refused for now (flood control): join again after a pause; the
          // outbox pauses too and waits until this join is answered (its
          // lines need the group joined).
          clearTimeout(this._rejoins.get(group));
          this._rejoins.set(
            group,
            setTimeout(() => {
              this._rejoins.set(group, null); // sent: waiting for the answer
              if (this._open && this._groups.get(group) === g) this._sendJoin(group, true);
              else this._rejoins.delete(group);
            }, this._backoff(++this._stalls)),
          );
          this._pause();
          return;
        }
        done();
        if (err.code !== "closed" && this._groups.get(group) === g) {
          this._groups.delete(group);
          this._positions.delete(group);
        }
        this._settle(g, null, err);
      },
    );
  }

  _settle(g, answer, err) {
    for (const w of g.waiters) {
      clearTimeout(w.timer);
      if (err) w.reject(err);
      else w.resolve(answer);
    }
    g.waiters.clear();
  }

  _receive(text) {
    if (typeof text !== "string") return; // the JSON codec sends text only
    let envelope;
    try {
      envelope = JSON.parse(text);
    } catch (e) {
      this._report(e);
      return;
    }
    if (!envelope || typeof envelope.type !== "string") return;
    if (!envelope.data || typeof envelope.data !== "object") envelope.data = {};
    const { type, data } = envelope;
    const o = this.options;
    const answer = type === o.ackType || type === o.errorType;
    // An ack or an error is about a line, not a line: it neither moves nor
    // is held to the group's position (the line itself comes on its own).
    if (!answer && !this._track(data, type === o.joinedType)) return;
    const ref = data[o.refKey];
    const p = ref != null && this._pending.get(String(ref));
    if (p) {
      this._pending.delete(String(ref));
      clearTimeout(p.timer);
      if (type === o.errorType) p.reject(this._refusal(data));
      else p.resolve(envelope);
    }
    const key = data[o.keyKey];
    const pub = answer && key != null && this._outbox.get(String(key));
    if (pub && type === o.errorType && o.retryCodes.includes(data.code)) {
      this._pause();
    } else if (pub) {
      this._outbox.delete(String(key));
      if (type === o.errorType) pub.reject(this._refusal(data));
      else {
        this._stalls = 0;
        pub.resolve(data);
      }
    }
    this._emit(type, data, envelope);
    this._emit("*", data, envelope);
  }

  // _track keeps the last position per group and returns false for an
  // envelope at or before it in the same epoch: a line replayed twice. A
  // joined envelope is the resume point: it moves the position (never back)
  // and is never dropped.
  _track(data, joined) {
    const o = this.options;
    const group = data[o.groupKey];
    const pos = parsePosition(data[o.positionKey]);
    if (group == null || !pos) return true;
    const last = this._positions.get(group);
    if (!last || last.epoch !== pos.epoch || pos.seq > last.seq) {
      this._positions.set(group, pos);
      return true;
    }
    return joined;
  }

  // _pause stops sending publications after one was refused for now (a
  // retry code: flood control), and after a back-off resends the whole
  // outbox in order: the refused one and all after it go again, so their
  // order holds (those the server took already are acknowledged again as
  // duplicates). A reconnect ends the pause, resending as always.
  _pause() {
    if (this._stall) return;
    this._stalls++;
    this._stall = setTimeout(() => {
      this._stall = null;
      if (!this._open) return;
      if (this._rejoins.size > 0) {
        this._pause(); // a join refused for now goes first
        return;
      }
      for (const o of this._outbox.values()) this._write(o.envelope);
    }, this._backoff(this._stalls));
  }

  // _backoff is the delay of attempt n (1, 2, ...): doubling from minDelay
  // up to maxDelay, picked in [d/2, d].
  _backoff(n) {
    const { minDelay, maxDelay } = this.options;
    const d = Math.min(maxDelay, minDelay * 2 ** (n - 1));
    return d / 2 + (Math.random() * d) / 2;
  }

  _refusal(data) {
    const text = data.text ?? data.message ?? "refused";
    return new ShoalError(String(text), data.code ?? this.options.errorType, data);
  }

  _write(envelope) {
    try {
      this._ws.send(JSON.stringify(envelope));
      return true;
    } catch (e) {
      this._report(e);
      return false;
    }
  }

  // _emit calls the handlers of type; one that throws is reported, and the
  // others and the client go on.
  _emit(type, ...args) {
    const set = this._handlers.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (e) {
        this._report(e);
      }
    }
  }

  _report(err) {
    try {
      this.options.onError?.(err);
    } catch {
      // nowhere left to report to
    }
  }
}
