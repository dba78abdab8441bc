// The live feed: one WebSocket to this server, resumed with since=<last seq> after any drop, with
// exponential backoff, so nothing is missed and nothing is applied twice.
import { call } from "./api.js";

const BASE_MS = 500;
const MAX_MS = 15000;

export class Feed {
  constructor({ onEvents, onState, onReset, onSignedOut }) {
    this.onEvents = onEvents;
    this.onState = onState;
    this.onReset = onReset;
    this.onSignedOut = onSignedOut;
    this.lastSeq = 0;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = true;
    this.closedCode = null;
    this.dropped = false;
    this.caughtUp = 0;
    this.stats = { received: 0, duplicates: 0, reconnects: 0 };
    this.batch = [];
    this.flushing = false;
  }

  start(since) {
    this.lastSeq = since;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  async connect() {
    if (this.stopped) return;
    this.onState("connecting");
    this.closedCode = null;
    let ticket;
    try {
      if (this.dropped) {
        // A server whose log is behind our last seq was reset or restored: start afresh.
        const head = await call("GET", "/api/v1/feed/head");
        if (!head.ok) throw new Error("head");
        if (head.body.seq < this.lastSeq) {
          this.lastSeq = await this.onReset();
        }
      }
      const r = await call("POST", "/api/v1/feed/ticket");
      if (r.status === 401) return this.onSignedOut();
      if (!r.ok) throw new Error("ticket");
      ticket = r.body.ticket;
    } catch {
      return this.retry();
    }
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/api/v1/feed?since=${this.lastSeq}&ticket=${encodeURIComponent(ticket)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onState("live", { caughtUp: this.dropped });
      if (this.dropped) this.stats.reconnects += 1;
      this.dropped = false;
    };
    ws.onmessage = (message) => this.receive(JSON.parse(message.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (this.closedCode === "token_revoked") return this.onSignedOut();
      if (this.closedCode === "token_expired") {
        // The feed ticket's lifetime ended: an ordinary hand-over to a new connection.
        return this.connect();
      }
      this.dropped = true;
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    const delay = Math.min(MAX_MS, BASE_MS * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.dropped = true;
    this.onState("offline", { seconds: Math.max(1, Math.round(delay / 1000)) });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  receive(event) {
    if (event.type === "feed.closed") {
      this.closedCode = event.data.code;
      return;
    }
    if (event.seq <= this.lastSeq) {
      this.stats.duplicates += 1;
      return;
    }
    this.lastSeq = event.seq;
    this.stats.received += 1;
    this.batch.push(event);
    // Apply what arrived in one go per frame: a burst of positions costs one redraw.
    if (!this.flushing) {
      this.flushing = true;
      const flush = () => {
        if (!this.flushing) return;
        const events = this.batch;
        this.batch = [];
        this.flushing = false;
        this.onEvents(events);
      };
      requestAnimationFrame(flush);
      setTimeout(flush, 250); // a hidden tab gets no frames; it still keeps up

    }
  }
}
