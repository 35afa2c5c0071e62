// The message list: history, live messages, own unsent messages, notices.
// Keeps scroll steady: new messages stick to the bottom only when the reader
// is already there, and older history loading above never moves the view.

import { el, timeElement } from "./dom.js";

export class MessageList {
  constructor(list, scroller, { isOwn }) {
    this.list = list;
    this.scroller = scroller;
    this.isOwn = isOwn;
    this.byId = new Map();
    this.pending = new Map();
    this.maxId = 0;
    this.minId = Infinity;
  }

  get newestId() {
    return this.maxId;
  }

  get oldestId() {
    return this.minId === Infinity ? null : this.minId;
  }

  clear() {
    this.list.replaceChildren();
    this.byId.clear();
    this.pending.clear();
    this.maxId = 0;
    this.minId = Infinity;
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  build(message) {
    const own = this.isOwn(message);
    const li = el(
      "li",
      { className: own ? "msg own" : "msg", attrs: { "data-id": String(message.id) } },
      el("div", { className: "msg-meta" }, el("span", { className: "msg-author", text: message.username }), timeElement(message.ts)),
      el("p", { className: "msg-text", text: message.text }),
    );
    if (message.edited_at) li.querySelector(".msg-meta").append(el("span", { className: "msg-edited", text: "edited" }));
    return li;
  }

  // Insert in id order; a message already shown is ignored.
  add(message, { stick } = {}) {
    if (this.byId.has(message.id)) return false;
    const atBottom = stick ?? this.nearBottom();
    const node = this.build(message);
    const pendingNode = message.client_id ? this.pending.get(message.client_id) : null;
    if (pendingNode) {
      pendingNode.remove();
      this.pending.delete(message.client_id);
    }
    this.list.insertBefore(node, this.insertionPoint(message.id));
    this.byId.set(message.id, node);
    this.maxId = Math.max(this.maxId, message.id);
    this.minId = Math.min(this.minId, message.id);
    if (atBottom) this.scrollToBottom();
    return true;
  }

  // Every row has a position: a message its id, a notice just after the newest
  // message shown when it arrived, an unsent message the very end.
  static position(node) {
    if (node.dataset.id !== undefined) return Number(node.dataset.id);
    if (node.dataset.after !== undefined) return Number(node.dataset.after) + 0.5;
    return Infinity;
  }

  insertionPoint(id) {
    let node = this.list.lastElementChild;
    while (node && MessageList.position(node) > id) node = node.previousElementSibling;
    return node ? node.nextElementSibling : this.list.firstElementChild;
  }

  firstPending() {
    const first = this.pending.values().next();
    return first.done ? null : first.value;
  }

  setHistory(messages) {
    this.clear();
    for (const message of messages) this.add(message, { stick: false });
    this.scrollToBottom();
  }

  prependHistory(messages) {
    const before = this.scroller.scrollHeight;
    const top = this.scroller.scrollTop;
    for (const message of messages) this.add(message, { stick: false });
    this.scroller.scrollTop = top + (this.scroller.scrollHeight - before);
  }

  addPending(clientId, text, username) {
    const li = el(
      "li",
      { className: "msg own pending", attrs: { "data-client-id": clientId } },
      el("div", { className: "msg-meta" }, el("span", { className: "msg-author", text: username }), el("span", { className: "msg-state", text: "sending…" })),
      el("p", { className: "msg-text", text }),
    );
    this.pending.set(clientId, li);
    this.list.append(li);
    this.scrollToBottom();
  }

  removePending(clientId) {
    const node = this.pending.get(clientId);
    if (node) node.remove();
    this.pending.delete(clientId);
  }

  addNotice(text, ts, kind = "system") {
    const atBottom = this.nearBottom();
    const li = el("li", { className: `notice notice-${kind}`, attrs: { "data-after": String(this.newestId) } }, el("span", { className: "notice-text", text }));
    if (ts) li.append(" ", timeElement(ts));
    this.list.insertBefore(li, this.firstPending());
    if (atBottom) this.scrollToBottom();
  }
}
