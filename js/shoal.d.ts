// Type declarations of shoal.js (@shoalrt/client). Keep in step with
// shoal.js: the Go test in this folder fails when an export is missing here.

/** One message: a text WebSocket message {"type": T, "data": {...}}. */
export interface Envelope<D = any> {
  type: string;
  data: D;
}

/** A WebSocket constructor: the browser's, or the ws package's in Node. */
export type WebSocketConstructor = new (url: string) => any;

export interface Options {
  /** The WebSocket constructor; default globalThis.WebSocket (Node 20 has none). */
  WebSocket?: WebSocketConstructor;
  /** The first message of every connection, or null for none. */
  hello?: (client: Client) => Envelope | null | undefined;
  /** Where handler exceptions and unreadable messages go; default console.error. */
  onError?: (err: unknown) => void;
  /** The first reconnect delay, ms (default 250). */
  minDelay?: number;
  /** The longest reconnect delay, ms (default 10000). */
  maxDelay?: number;
  /** Default request and join timeout, and how long a connection may take to open, ms (default 10000). */
  timeout?: number;
  /** The data field naming a group (default "group"; the chat's is "room"). */
  groupKey?: string;
  /** The data field holding a position "epoch:seq" (default "pos"). */
  positionKey?: string;
  /** The join field carrying the position to resume from (default "since"). */
  sinceKey?: string;
  /** The data field holding a publication's idempotency key (default "key"). */
  keyKey?: string;
  /** The data field matching answers to requests (default "ref"). */
  refKey?: string;
  /** The type of a join (default "join"). */
  joinType?: string;
  /** The type of the answer to a join, the group's resume point (default "joined"). */
  joinedType?: string;
  /** The type of a leave (default "leave"). */
  leaveType?: string;
  /** The type of a publication's acknowledgement (default "ack"). */
  ackType?: string;
  /** The type of a refusal (default "error"). */
  errorType?: string;
  /**
   * Refusal codes (data.code) that mean "not now": a publication refused so
   * stays in the outbox, which pauses (back-off) and is then resent in
   * order; a join refused so is sent again (default ["slow-down", "retry"]).
   */
  retryCodes?: string[];
}

export interface OpenInfo {
  url: string;
}

export interface CloseInfo {
  code: number;
  reason: string;
  url: string;
}

export interface ReconnectInfo {
  /** 1 for the first attempt after a good connection, then 2, 3, ... */
  attempt: number;
  /** The delay before this attempt, ms: in [d/2, d], d = min(maxDelay, minDelay * 2^(attempt-1)). */
  delay: number;
  /** The URL this attempt will try. */
  url: string;
}

/** Rejects requests, joins and publications. */
export class ShoalError extends Error {
  constructor(message: string, code: string, data?: any);
  /** "timeout", "closed", "disconnected", "left", or the refusal's data.code (else errorType). */
  code: string;
  /** The refusal's data, if the server refused. */
  data: any;
}

export class Client {
  constructor(urls: string | string[], options?: Options);
  /** The options in force, defaults filled in. */
  readonly options: Required<Omit<Options, "WebSocket" | "hello">> & Pick<Options, "WebSocket" | "hello">;
  /** A random id ([A-Za-z0-9_-], 22 characters) kept for the life of the client. */
  readonly session: string;
  /** Whether a connection is open now. */
  readonly connected: boolean;
  /** The URL of the current (or last tried) connection. */
  readonly url: string | null;
  /** Sends now and returns true, or returns false if not connected (nothing is queued). */
  send(type: string, data?: object): boolean;
  /** Sends data plus a fresh ref; resolves with the envelope answering it. */
  request<D = any>(type: string, data?: object, options?: { timeout?: number }): Promise<Envelope<D>>;
  /** Sends data plus a key, resent on every reconnect until acked; resolves with the ack's data. */
  publish<D = any>(type: string, data?: object): Promise<D>;
  /** Joins group now and on every reconnect (from its last position); resolves with the joined envelope. */
  join<D = any>(group: string, extra?: object, options?: { timeout?: number }): Promise<Envelope<D>>;
  /** Forgets group and its position; if connected, sends a leave and resolves with its answer (else null). */
  leave<D = any>(group: string, type?: string): Promise<Envelope<D> | null>;
  /** A copy of the last position seen per group. */
  positions(): Record<string, string>;
  /** The groups joined or being joined, in order of joining. */
  groups(): string[];
  on(type: "open", fn: (info: OpenInfo) => void): () => void;
  on(type: "close", fn: (info: CloseInfo) => void): () => void;
  on(type: "reconnecting", fn: (info: ReconnectInfo) => void): () => void;
  /** Calls fn for every incoming envelope of type ("*": of every type); returns a function that stops it. */
  on<D = any>(type: string, fn: (data: D, envelope: Envelope<D>) => void): () => void;
  off(type: string, fn: (...args: any[]) => void): void;
  /** Stops for good: closes the connection, no reconnect, everything pending rejected with code "closed". */
  close(): void;
}

/** Returns a Client already connecting to urls (tried round robin). */
export function connect(urls: string | string[], options?: Options): Client;
