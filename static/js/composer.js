// The message box: Enter sends, Shift+Enter starts a new line, nothing typed is lost.
// While the server asks us to wait (flood control, slow mode) it counts down
// and keeps the text; while the room is locked or we are out of it, it is off.

import { convertAsTyped, convertShortcodes, insertAtCursor } from "./emoji.js";

// At most one `typing` per 2.5 s, however many messages are sent in between: the
// server ignores more than one per 2 s, and every frame counts against flood control.
const TYPING_EVERY_MS = 2500;

export class Composer {
  // tools: other buttons of the box (the emoji button), off whenever sending is.
  // hasFiles: whether files wait to go with the next message (then the text is an optional caption).
  constructor({ form, input, button, tools = [], errorNode, statusNode, onSend, onTyping, hasFiles = () => false }) {
    this.hasFiles = hasFiles;
    this.form = form;
    this.tools = tools;
    this.input = input;
    this.button = button;
    this.errorNode = errorNode;
    this.statusNode = statusNode;
    this.onSend = onSend;
    this.onTyping = onTyping;
    this.waitUntil = 0;
    this.timer = null;
    this.blocked = null; // a reason, while sending is off
    this.lastTyping = 0;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    convertAsTyped(input);
    input.addEventListener("input", () => {
      this.autosize();
      this.typing();
    });
  }

  typing() {
    if (!this.input.value.trim() || this.blocked) return;
    const now = Date.now();
    if (now - this.lastTyping < TYPING_EVERY_MS) return;
    this.lastTyping = now;
    this.onTyping?.();
  }

  submit() {
    if (this.blocked) {
      this.showError(this.blocked);
      return;
    }
    if (this.waiting) {
      this.input.focus();
      return; // the countdown is on screen; the text stays
    }
    const text = convertShortcodes(this.input.value).replace(/\s+$/, "");
    if (!text.trim() && !this.hasFiles()) {
      this.showError("Type a message first.");
      return;
    }
    if (this.onSend(text) !== false) {
      this.input.value = "";
      this.autosize();
      this.clearError();
    }
  }

  // Put a refused message back, without losing what was typed since.
  restore(text) {
    const current = this.input.value;
    if (!current.trim()) this.input.value = text;
    else if (!current.includes(text)) this.input.value = `${text}\n${current}`;
    this.autosize();
  }

  // Text at the caret (a mention picked on a profile card), then on with typing.
  insert(text) {
    insertAtCursor(this.input, text);
    this.autosize();
    this.input.focus();
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  showError(message) {
    this.errorNode.textContent = message;
  }

  // A word about something done (a report sent), in the polite status line.
  showStatus(text) {
    this.statusNode.textContent = text;
  }

  clearError() {
    this.errorNode.textContent = "";
  }

  get waiting() {
    return Date.now() < this.waitUntil;
  }

  // The server said "too fast, try again in `seconds`": count down, then allow sending.
  waitFor(seconds, reason = "You are sending too fast.") {
    this.waitUntil = Math.max(this.waitUntil, Date.now() + Math.max(0, Number(seconds) || 0) * 1000);
    this.reason = reason;
    this.clearError();
    clearInterval(this.timer);
    this.tick();
    this.timer = setInterval(() => this.tick(), 250);
  }

  tick() {
    const left = Math.ceil((this.waitUntil - Date.now()) / 1000);
    if (left <= 0) {
      this.stopWaiting();
      return;
    }
    const text = `${this.reason} Your message is kept: wait ${left} s.`;
    if (this.statusNode.textContent !== text) this.statusNode.textContent = text;
    this.statusNode.dataset.state = "waiting";
    this.updateButton();
  }

  // No countdown any more: it ran out, or we are out of the room and it means nothing.
  stopWaiting() {
    clearInterval(this.timer);
    this.timer = null;
    this.waitUntil = 0;
    this.statusNode.textContent = "";
    this.statusNode.dataset.state = "";
    this.updateButton();
  }

  updateButton() {
    const waiting = this.waitUntil > Date.now();
    this.button.disabled = Boolean(this.blocked) || waiting;
    this.button.textContent = waiting ? `Wait ${Math.ceil((this.waitUntil - Date.now()) / 1000)} s` : "Send";
  }

  // Turn sending off (room locked, kicked, closed) with a reason, or on again with null.
  block(reason) {
    this.blocked = reason || null;
    this.input.disabled = Boolean(this.blocked);
    for (const tool of this.tools) tool.disabled = Boolean(this.blocked);
    this.input.placeholder = this.blocked || "Write a message…";
    if (!this.blocked) this.clearError();
    this.updateButton();
  }

  focus() {
    this.input.focus();
  }
}
