// One WebSocket for the page, reconnecting by itself.
//
// Emits a DOM event per server event (`socket.on("join_confirm", fn)`), a
// "state" event (connecting → open → reconnecting / offline, or closed for
// good) and "connected" each time a new connection opens. Reconnects with
// exponential backoff and jitter; a server that closes with a "stay away"
// code (banned, cut off by flood control, too many tabs) is not retried, and the socket
// then stays closed whatever the network does ("closed" says with which code).

import { Close } from "./protocol.js";

const NO_RETRY_CODES = new Set([Close.BANNED, Close.FLOOD, Close.TOO_MANY_SOCKETS, Close.SIGNED_OUT]);

export class ChatSocket extends EventTarget {
  constructor(path, { maxDelay = 15000, baseDelay = 500 } = {}) {
    super();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.url = `${scheme}://${location.host}${path}`;
    this.maxDelay = maxDelay;
    this.baseDelay = baseDelay;
    this.attempt = 0;
    this.state = "connecting";
    this.ws = null;
    this.timer = null;
    this.stopped = false; // closed for good by the server
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.stopped || this.setState("offline"));
    // Logged out in another tab: this page belonged to the account, so load it again as the guest it now is.
    this.on("closed", ({ code }) => code === Close.SIGNED_OUT && location.reload());
  }

  on(event, handler) {
    this.addEventListener(event, (e) => handler(e.detail));
  }

  connect() {
    clearTimeout(this.timer);
    this.setState(this.attempt === 0 ? "connecting" : navigator.onLine === false ? "offline" : "reconnecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.setState("open");
      this.dispatchEvent(new CustomEvent("connected")); // a new connection: (re)join here
    });
    ws.addEventListener("message", (e) => {
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      if (frame && typeof frame.event === "string") {
        this.dispatchEvent(new CustomEvent(frame.event, { detail: frame.data || {} }));
      }
    });
    ws.addEventListener("close", (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (NO_RETRY_CODES.has(e.code)) {
        this.stopped = true;
        this.setState("closed");
        this.dispatchEvent(new CustomEvent("closed", { detail: { code: e.code, reason: e.reason } }));
        return;
      }
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    this.attempt += 1;
    const ceiling = Math.min(this.maxDelay, this.baseDelay * 2 ** (this.attempt - 1));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: spread reconnect storms
    this.setState(navigator.onLine === false ? "offline" : "reconnecting");
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // The browser says the network is back: a socket that survived is fine
  // again; otherwise try at once instead of waiting out the backoff.
  reconnectNow() {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.setState("open");
      return;
    }
    if (this.ws && this.ws.readyState === WebSocket.CONNECTING) return;
    this.attempt = Math.max(this.attempt, 1);
    this.connect();
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(event, data = {}) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify({ event, data }));
    return true;
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }
}
