// The message list on the page: draws what the store holds, in id order,
// with day separators (days.js), notices, unsent messages, gaps in the history
// after a jump (jump.js), reactions (reactions.js), reply quotes (replies.js)
// and the message controls (actions.js). State lives in store.js; rows are built by render.js.

import { el } from "../dom.js";
import { MessageActions } from "./actions.js";
import { DaySeparators } from "./days.js";
import { renderPreview } from "./previews.js";
import { ReactionControls, renderReactions, sameEmoji } from "./reactions.js";
import { gapRow, markRemoved, messageRow, noticeRow, pendingRow, position, renderBody } from "./render.js";
import { updateQuotes } from "./replies.js";
import { Scroller } from "./scroll.js";

const HIGHLIGHT_MS = 2500;

export class MessageList {
  // onEdit(id, text), onDelete(id), onReact(id, emoji, add), onRemovePreview(id): ask the server; confirm: the ConfirmDialog
  // that asks before deleting; onFocusLost(): the focused message went away; onReply(message),
  // onCopyLink(id, button), onQuote(id): the reply, copy link and quote controls.
  // isHidden(message): not shown on this page (its author is blocked here).
  constructor(list, scrollNode, store, { onEdit, onDelete, onReact, onRemovePreview, onReply, onCopyLink, onQuote, confirm, onFocusLost, maxLength, isHidden = () => false }) {
    this.isHidden = isHidden;
    this.list = list;
    this.store = store;
    this.scroll = new Scroller(scrollNode);
    this.days = new DaySeparators(list);
    this.onFocusLost = onFocusLost;
    this.rows = new Map(); // id → <li>
    this.pendingRows = new Map(); // client_id → <li>, in the order sent
    this.gaps = new Map(); // after id → its gap row
    this.actions = new MessageActions(list, store, this.rows, { maxLength, onEdit, onDelete, confirm, onFocusLost, onReply, onCopyLink });
    this.reactions = new ReactionControls(list, {
      toggle: (id, emoji) => {
        if (this.store.present) onReact(id, emoji, !this.store.reacted(id, emoji, sameEmoji));
      },
    });
    list.addEventListener("click", (e) => {
      const quote = e.target.closest("button.msg-quote");
      if (quote) onQuote?.(Number(quote.dataset.quoteId));
      const removePreview = e.target.closest("button.preview-remove");
      if (removePreview) onRemovePreview?.(Number(removePreview.closest("li.msg").dataset.id));
    });
    setInterval(() => this.refresh(), 30_000);
  }

  setPermissions(permissions) {
    this.store.setPermissions(permissions);
    this.actions.renderAll();
  }

  // Out of the room: no edit or delete controls, and an open editor closes.
  revokePermissions() {
    this.store.revoke();
    this.actions.closeAll();
    this.actions.renderAll();
  }

  ownership(message) {
    return { own: this.store.isOwn(message), me: this.store.me, author: this.store.author };
  }

  clear() {
    this.actions.gone();
    this.reactions.close({ focus: false });
    this.list.replaceChildren();
    this.rows.clear();
    this.gaps.clear();
    this.pendingRows.clear();
    this.store.clear();
  }

  // Messages only (pending ones stay): after a moderator cleared the history.
  clearMessages() {
    this.actions.gone();
    for (const node of this.rows.values()) node.remove();
    for (const node of [...this.list.children]) if (!node.classList.contains("pending")) node.remove();
    this.rows.clear();
    this.gaps.clear();
    this.store.clearMessages();
    this.days.fix();
  }

  // Insert in id order; a message already shown (or deleted) is ignored.
  // `days: false` leaves the day separators to the caller (one pass for a whole page).
  add(message, { stick, days = true } = {}) {
    if (!this.store.add(message)) return false;
    const atBottom = stick ?? this.scroll.nearBottom();
    const node = messageRow(message, this.ownership(message));
    node.hidden = this.isHidden(message);
    this.markQuotes(node);
    const pendingNode = message.client_id ? this.pendingRows.get(message.client_id) : null;
    if (pendingNode) {
      pendingNode.remove();
      this.pendingRows.delete(message.client_id);
    }
    this.list.insertBefore(node, this.insertionPoint(message.id));
    this.rows.set(message.id, node);
    this.actions.render(message.id);
    if (days) this.days.fixAround(node);
    if (atBottom) this.scroll.toBottom();
    return true;
  }

  // Blocks changed: hide (or show again) each row by its author.
  refreshHidden() {
    for (const [, node] of this.rows) {
      node.hidden = this.isHidden({ author: node.dataset.author });
      this.markQuotes(node);
    }
  }

  // A reply to someone blocked here keeps its own text, but quotes them as "a message from someone you blocked".
  markQuotes(node) {
    for (const quote of node.querySelectorAll(".msg-quote[data-quote-author]")) {
      quote.classList.toggle("from-blocked", this.isHidden({ author: quote.dataset.quoteAuthor }));
    }
  }

  // Entering a room: "New messages" above the first one after `lastRead` (0: nothing read yet; none when all is read).
  markFirstUnread(lastRead) {
    for (const old of this.list.querySelectorAll(".unread-divider")) old.remove();
    if (lastRead === undefined || lastRead === null) return;
    const first = [...this.rows.entries()].filter(([id, node]) => id > lastRead && !node.hidden).sort((a, b) => a[0] - b[0])[0];
    if (!first) return;
    first[1].prepend(el("p", { className: "unread-divider", text: "New messages", attrs: { role: "separator" } }));
  }

  insertionPoint(id) {
    let node = this.list.lastElementChild;
    while (node && position(node) > id) node = node.previousElementSibling;
    return node ? node.nextElementSibling : this.list.firstElementChild;
  }

  setHistory(messages) {
    this.clear();
    for (const message of messages) this.add(message, { stick: false, days: false });
    this.days.fix();
    this.scroll.toBottom();
  }

  // `alsoChange` runs inside the measurement: other changes above the list
  // (the "load older" button going away) must not move the view either.
  prependHistory(messages, alsoChange) {
    this.scroll.keepPosition(() => {
      for (const message of messages) this.add(message, { stick: false, days: false });
      this.days.fix();
      alsoChange?.();
    });
  }

  addPending(clientId, text, username, avatar, attachments = []) {
    this.store.addPending(clientId);
    const li = pendingRow(clientId, text, username, avatar, attachments);
    this.pendingRows.set(clientId, li);
    this.list.append(li);
    this.days.fix();
    this.scroll.toBottom();
  }

  removePending(clientId) {
    this.pendingRows.get(clientId)?.remove();
    this.pendingRows.delete(clientId);
    this.store.removePending(clientId);
    this.days.fix();
  }

  // The server stored a message: if it is shown already (the ack was lost on a
  // dropped connection), its unsent copy goes.
  acked(clientId, id) {
    if (this.store.shows(id)) this.removePending(clientId);
  }

  addNotice(text, ts, kind = "system") {
    const atBottom = this.scroll.nearBottom();
    const first = this.pendingRows.values().next();
    this.list.insertBefore(noticeRow(text, ts, kind, this.store.newestId), first.done ? null : first.value);
    this.days.fix();
    if (atBottom) this.scroll.toBottom();
  }

  update(change) {
    updateQuotes(this.list, change.id, { text: change.text });
    const message = this.store.edit(change);
    const li = this.rows.get(change.id);
    if (!message || !li) return;
    this.actions.closeEditor(li, { focus: li.contains(document.activeElement) });
    renderBody(li, message, this.ownership(message));
  }

  remove({ id, by }) {
    updateQuotes(this.list, id, { removed: true });
    if (this.reactions.open === this.rows.get(id)) this.reactions.close({ focus: false });
    this.actions.gone(id);
    const li = this.rows.get(id);
    const hadFocus = li?.contains(document.activeElement);
    this.store.remove(id, by);
    if (!li) return;
    if (by === "author") {
      li.remove();
      this.rows.delete(id);
    } else {
      markRemoved(li);
    }
    this.days.fix();
    if (hadFocus) this.onFocusLost?.();
  }

  // A message's link card arrived, or went (a `preview` frame; null: gone).
  setPreview({ id, preview }) {
    const message = this.store.get(id);
    const li = this.rows.get(id);
    if (!message) return; // not shown here: history carries the card when it is
    message.preview = preview || undefined;
    if (!li) return;
    const hadFocus = li.querySelector(".msg-preview")?.contains(document.activeElement);
    renderPreview(li, message, this.ownership(message));
    if (hadFocus) li.focus({ preventScroll: true }); // its remove button went with it
  }

  // A message's reactions now (a `reactions` frame).
  setReactions(data) {
    const message = this.store.setReactions(data);
    const li = this.rows.get(data.id);
    if (message && li) renderReactions(li, message, this.store.author);
  }

  // My author token changed (signed up in another tab): which reactions are mine, drawn again.
  redrawReactions() {
    for (const [id, li] of this.rows) {
      const message = this.store.get(id);
      if (message) renderReactions(li, message, this.store.author);
    }
  }

  // A page of history anywhere in the room (around a message, or after one), in id order, the view kept.
  addPage(messages) {
    this.scroll.keepPosition(() => {
      for (const message of messages) this.add(message, { stick: false, days: false });
      this.days.fix();
    });
  }

  // Messages not loaded after `afterId` (up to the next one shown): a "load newer" row there.
  addGap(afterId) {
    if (this.gaps.has(afterId)) return;
    const row = gapRow(afterId);
    this.list.insertBefore(row, this.insertionPoint(afterId + 0.75));
    this.gaps.set(afterId, row);
  }

  // The gap after `afterId` got `messages`: it closes, or moves after the newest of them.
  fillGap(afterId, messages, hasNewer) {
    const row = this.gaps.get(afterId);
    if (!row) return null;
    const hadFocus = row.contains(document.activeElement);
    row.remove();
    this.gaps.delete(afterId);
    const newest = messages.length ? messages[messages.length - 1].id : afterId;
    // The first message shown after the gap: the page reached it, or nothing more is there: closed.
    const shownAfter = Math.min(...[...this.rows.keys()].filter((id) => id > afterId));
    const reached = !hasNewer || !messages.length || newest >= shownAfter;
    for (const message of messages) this.add(message, { stick: false, days: false });
    this.days.fix();
    if (!reached && messages.length) {
      this.addGap(newest);
      if (hadFocus) this.gaps.get(newest)?.querySelector("button")?.focus();
    }
    return newest;
  }

  // Show a message: scrolled into the middle, focused (for a keyboard or a screen reader), briefly lit.
  highlight(id) {
    const li = this.rows.get(id);
    if (!li) return false;
    li.scrollIntoView({ block: "center" });
    li.focus({ preventScroll: true });
    li.classList.remove("msg-highlight");
    void li.offsetWidth; // restart the animation when it is lit again
    li.classList.add("msg-highlight");
    setTimeout(() => li.classList.remove("msg-highlight"), HIGHLIGHT_MS);
    return true;
  }

  // An edit the server refused: let the person try again.
  editFailed() {
    this.actions.editFailed();
  }

  // A delete the server refused: its button works again.
  enableDelete() {
    this.actions.enableDelete();
  }

  // Every half minute: edit controls expire, "Today" becomes "Yesterday".
  refresh() {
    this.actions.renderAll();
    this.days.relabel();
  }
}
