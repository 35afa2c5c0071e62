// The message list: history, live messages, own unsent messages, notices,
// day separators, and the edit/delete controls on each message.
// Keeps scroll steady: new messages stick to the bottom only when the reader
// is already there, and older history loading above never moves the view.

import { dayKey, dayLabel, el, timeElement } from "./dom.js";
import { convertShortcodes } from "./emoji.js";
import { isEmojiOnly, mentions, renderText } from "./richtext.js";

const REMOVED_TEXT = "Message removed by a moderator";

export class MessageList {
  // isOwn(message): did this browser send it; onEdit(id, text), onDelete(id): ask the server.
  constructor(list, scroller, { isOwn, onEdit, onDelete, maxLength }) {
    this.list = list;
    this.scroller = scroller;
    this.isOwn = isOwn;
    this.onEdit = onEdit;
    this.onDelete = onDelete;
    this.maxLength = maxLength;
    this.me = "";
    this.owner = false;
    this.editWindow = 0;
    this.byId = new Map(); // id → <li>
    this.data = new Map(); // id → message
    this.gone = new Set(); // ids deleted by their author: never shown again
    this.pending = new Map();
    this.maxId = 0;
    this.minId = Infinity;
    list.addEventListener("click", (e) => this.onClick(e));
    setInterval(() => this.refresh(), 30_000);
  }

  get newestId() {
    return this.maxId;
  }

  get oldestId() {
    return this.minId === Infinity ? null : this.minId;
  }

  // Who I am and what I may do here, from join_confirm.
  setPermissions({ me, owner, editWindow }) {
    this.me = me;
    this.owner = Boolean(owner);
    this.editWindow = Number(editWindow) || 0;
    for (const id of this.byId.keys()) this.renderActions(id);
  }

  clear() {
    this.list.replaceChildren();
    this.byId.clear();
    this.data.clear();
    this.pending.clear();
    this.maxId = 0;
    this.minId = Infinity;
  }

  // Messages only (pending ones stay): after a moderator cleared the history.
  clearMessages() {
    for (const node of this.byId.values()) node.remove();
    for (const node of [...this.list.children]) if (!node.classList.contains("pending")) node.remove();
    this.byId.clear();
    this.data.clear();
    this.maxId = 0;
    this.minId = Infinity;
    this.fixDays();
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  canEdit(message) {
    return this.isOwn(message) && Date.now() - Date.parse(message.ts) < this.editWindow * 1000;
  }

  canDelete(message) {
    return this.owner || this.isOwn(message);
  }

  // --- building rows ------------------------------------------------------

  build(message) {
    const own = this.isOwn(message);
    const li = el(
      "li",
      { className: own ? "msg own" : "msg", attrs: { "data-id": String(message.id), "data-day": dayKey(message.ts) } },
      el(
        "div",
        { className: "msg-meta" },
        el("span", { className: "msg-author", text: message.username }),
        timeElement(message.ts),
        el("span", { className: "msg-edited", text: "edited" }),
        el("span", { className: "msg-actions" }),
      ),
      el("p", { className: "msg-text" }),
    );
    this.renderBody(li, message);
    return li;
  }

  renderBody(li, message) {
    const textNode = li.querySelector(".msg-text");
    renderText(textNode, message.text, this.me);
    li.classList.toggle("emoji-only", isEmojiOnly(message.text));
    li.classList.toggle("mentions-me", !this.isOwn(message) && mentions(message.text, this.me));
    const edited = li.querySelector(".msg-edited");
    edited.hidden = !message.edited_at;
    if (message.edited_at) edited.title = `edited ${new Date(message.edited_at).toLocaleString()}`;
  }

  renderActions(id) {
    const li = this.byId.get(id);
    const message = this.data.get(id);
    const box = li?.querySelector(".msg-actions");
    if (!box || !message) return;
    const buttons = [];
    if (this.canEdit(message)) {
      buttons.push(
        el("button", { className: "msg-action msg-edit-button", text: "Edit", attrs: { type: "button", "aria-label": "Edit message" } }),
      );
    }
    if (this.canDelete(message)) {
      buttons.push(
        el("button", { className: "msg-action msg-delete-button", text: "Delete", attrs: { type: "button", "aria-label": "Delete message" } }),
      );
    }
    // Replace only when something changed, so focus is not lost for nothing.
    const now = Array.from(box.children, (b) => b.className).join();
    const next = buttons.map((b) => b.className).join();
    if (now !== next) box.replaceChildren(...buttons);
  }

  // --- adding -------------------------------------------------------------

  // Insert in id order; a message already shown (or deleted) is ignored.
  // `days: false` leaves the day separators to the caller (one pass for a whole page).
  add(message, { stick, days = true } = {}) {
    if (this.byId.has(message.id) || this.gone.has(message.id)) return false;
    const atBottom = stick ?? this.nearBottom();
    const node = this.build(message);
    const pendingNode = message.client_id ? this.pending.get(message.client_id) : null;
    if (pendingNode) {
      pendingNode.remove();
      this.pending.delete(message.client_id);
    }
    this.list.insertBefore(node, this.insertionPoint(message.id));
    this.byId.set(message.id, node);
    this.data.set(message.id, message);
    this.renderActions(message.id);
    this.maxId = Math.max(this.maxId, message.id);
    this.minId = Math.min(this.minId, message.id);
    if (days) this.fixDaysAround(node);
    if (atBottom) this.scrollToBottom();
    return true;
  }

  // Every row has a position: a message its id, a notice just after the newest
  // message shown when it arrived, a day separator just before its first
  // message, an unsent message the very end.
  static position(node) {
    if (node.dataset.id !== undefined) return Number(node.dataset.id);
    if (node.dataset.after !== undefined) return Number(node.dataset.after) + 0.5;
    if (node.dataset.before !== undefined) return Number(node.dataset.before) - 0.25;
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
    for (const message of messages) this.add(message, { stick: false, days: false });
    this.fixDays();
    this.scrollToBottom();
  }

  // `alsoChange` runs inside the measurement: other changes above the list
  // (the "load older" button going away) must not move the view either.
  prependHistory(messages, alsoChange) {
    const before = this.scroller.scrollHeight;
    const top = this.scroller.scrollTop;
    for (const message of messages) this.add(message, { stick: false, days: false });
    this.fixDays();
    alsoChange?.();
    this.scroller.scrollTop = top + (this.scroller.scrollHeight - before);
  }

  addPending(clientId, text, username) {
    const li = el(
      "li",
      { className: "msg own pending", attrs: { "data-client-id": clientId, "data-day": dayKey(new Date().toISOString()) } },
      el("div", { className: "msg-meta" }, el("span", { className: "msg-author", text: username }), el("span", { className: "msg-state", text: "sending…" })),
      el("p", { className: "msg-text", text }),
    );
    this.pending.set(clientId, li);
    this.list.append(li);
    this.fixDays();
    this.scrollToBottom();
  }

  removePending(clientId) {
    const node = this.pending.get(clientId);
    if (node) node.remove();
    this.pending.delete(clientId);
    this.fixDays();
  }

  addNotice(text, ts, kind = "system") {
    const atBottom = this.nearBottom();
    const li = el("li", { className: `notice notice-${kind}`, attrs: { "data-after": String(this.newestId) } }, el("span", { className: "notice-text", text }));
    if (ts) li.append(" ", timeElement(ts));
    this.list.insertBefore(li, this.firstPending());
    if (atBottom) this.scrollToBottom();
  }

  // --- changes from the server --------------------------------------------

  update({ id, text, edited_at: editedAt }) {
    const message = this.data.get(id);
    const li = this.byId.get(id);
    if (!message || !li) return;
    message.text = text;
    message.edited_at = editedAt;
    this.closeEditor(li, { focus: li.contains(document.activeElement) });
    this.renderBody(li, message);
  }

  remove({ id, by }) {
    const li = this.byId.get(id);
    const hadFocus = li?.contains(document.activeElement);
    this.data.delete(id);
    if (!li) {
      this.gone.add(id);
      return;
    }
    if (by === "author") {
      li.remove();
      this.byId.delete(id);
      this.gone.add(id);
    } else {
      li.className = "msg msg-removed";
      li.replaceChildren(el("p", { className: "msg-text", text: REMOVED_TEXT }));
    }
    this.fixDays();
    if (hadFocus) this.list.dispatchEvent(new CustomEvent("focus-lost", { bubbles: true }));
  }

  // An edit the server refused: let the person try again.
  editFailed() {
    for (const hint of this.list.querySelectorAll(".msg-editor[data-saving] .msg-edit-hint")) {
      hint.closest(".msg-editor").removeAttribute("data-saving");
      hint.textContent = "Not saved. Enter to try again · Esc to cancel";
    }
  }

  // --- edit and delete controls ---------------------------------------------

  onClick(e) {
    const button = e.target.closest("button.msg-action");
    if (!button) return;
    const id = Number(button.closest("li.msg").dataset.id);
    if (button.classList.contains("msg-edit-button")) this.startEdit(id);
    else if (button.classList.contains("msg-delete-button")) {
      button.disabled = true;
      this.onDelete(id);
    }
  }

  startEdit(id) {
    const li = this.byId.get(id);
    const message = this.data.get(id);
    if (!li || !message) return;
    const existing = li.querySelector(".msg-edit-field");
    if (existing) {
      existing.focus();
      return;
    }
    const field = el("textarea", {
      className: "msg-edit-field",
      attrs: { "aria-label": "Edit message", rows: "2", maxlength: String(this.maxLength || 2000) },
    });
    field.value = message.text;
    const hint = el("p", { className: "msg-edit-hint", text: "Enter to save · Esc to cancel" });
    const editor = el("div", { className: "msg-editor" }, field, hint);
    li.querySelector(".msg-text").hidden = true;
    li.append(editor);
    field.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.closeEditor(li, { focus: true });
      } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        const text = convertShortcodes(field.value).trim();
        if (!text) {
          hint.textContent = "A message cannot be empty. Delete it instead, or Esc to cancel.";
        } else if (text === message.text) {
          this.closeEditor(li, { focus: true });
        } else {
          editor.dataset.saving = "";
          hint.textContent = "Saving…";
          this.onEdit(id, text);
        }
      }
    });
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  }

  closeEditor(li, { focus }) {
    const editor = li.querySelector(".msg-editor");
    if (!editor) return;
    editor.remove();
    li.querySelector(".msg-text").hidden = false;
    if (focus) (li.querySelector(".msg-edit-button") || li.querySelector(".msg-delete-button"))?.focus();
  }

  // --- day separators -------------------------------------------------------

  // One separator before the first message of each local day; only missing
  // ones are added and stale ones removed, so the live region is not re-announced.
  fixDays() {
    const keep = new Set();
    let lastDay = null;
    for (const node of [...this.list.children]) {
      if (!node.classList.contains("msg")) continue;
      const day = node.dataset.day;
      if (!day || day === lastDay) continue;
      lastDay = day;
      let separator = node.previousElementSibling;
      if (!(separator?.classList.contains("day-separator") && separator.dataset.dayOf === day)) {
        separator = el(
          "li",
          { className: "day-separator", attrs: { "data-day-of": day } },
          el("span", { className: "day-label", text: dayLabel(day) }),
        );
        this.list.insertBefore(separator, node);
      }
      if (node.dataset.id !== undefined) separator.dataset.before = node.dataset.id;
      else delete separator.dataset.before;
      keep.add(separator);
    }
    for (const separator of this.list.querySelectorAll(".day-separator")) if (!keep.has(separator)) separator.remove();
  }

  // The common case, a new message at the end: compare it with the message
  // before it only; anything else gets the full pass.
  fixDaysAround(node) {
    let next = node.nextElementSibling;
    while (next && !next.classList.contains("msg")) next = next.nextElementSibling;
    let previous = node.previousElementSibling;
    while (previous && !previous.classList.contains("msg") && !previous.classList.contains("day-separator")) {
      previous = previous.previousElementSibling;
    }
    if (next || !previous) {
      this.fixDays();
      return;
    }
    const day = node.dataset.day;
    if (previous.classList.contains("day-separator") ? previous.dataset.dayOf !== day : previous.dataset.day !== day) {
      this.fixDays();
    }
  }

  // Every half minute: edit controls expire, "Today" becomes "Yesterday".
  refresh() {
    for (const id of this.byId.keys()) this.renderActions(id);
    for (const separator of this.list.querySelectorAll(".day-separator")) {
      const label = separator.querySelector(".day-label");
      const text = dayLabel(separator.dataset.dayOf);
      if (label.textContent !== text) label.textContent = text;
    }
  }
}
