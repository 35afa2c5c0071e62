// One row of the message list, built from data: a message, an unsent message,
// a notice, or what a moderator left of a message. Text only through
// textContent (dom.js, richtext.js).

import { accountBadge, avatarElement, dayKey, el, timeElement } from "../dom.js";
import { isEmojiOnly, mentions, renderText } from "../richtext.js";

const REMOVED_TEXT = "Message removed by a moderator";
const AVATAR_SIZE = 20;

// own: this browser sent it; me: my display name, for mentions.
export function messageRow(message, { own, me }) {
  const li = el(
    "li",
    { className: own ? "msg own" : "msg", attrs: { "data-id": String(message.id), "data-day": dayKey(message.ts), "data-author": message.author || "" } },
    el(
      "div",
      { className: "msg-meta" },
      avatarElement(message.username, message.avatar, AVATAR_SIZE),
      // Opens the author's profile card (profile-card.js).
      el("button", {
        className: "msg-author",
        text: message.username,
        attrs: { type: "button", "data-profile-message": String(message.id), "aria-haspopup": "dialog", title: `About ${message.username}` },
      }),
      ...(message.account ? [accountBadge()] : []),
      timeElement(message.ts),
      el("span", { className: "msg-edited", text: "edited" }),
      el("span", { className: "msg-actions" }),
    ),
    el("p", { className: "msg-text" }),
  );
  renderBody(li, message, { own, me });
  return li;
}

export function renderBody(li, message, { own, me }) {
  renderText(bodyOf(li), message.text, me);
  li.classList.toggle("emoji-only", isEmojiOnly(message.text));
  li.classList.toggle("mentions-me", !own && mentions(message.text, me));
  const edited = li.querySelector(".msg-edited");
  edited.hidden = !message.edited_at;
  if (message.edited_at) edited.title = `edited ${new Date(message.edited_at).toLocaleString()}`;
}

export function bodyOf(li) {
  return li.querySelector(".msg-text");
}

export function renderActions(li, { canEdit, canDelete }) {
  const box = li.querySelector(".msg-actions");
  if (!box) return;
  const buttons = [];
  if (canEdit) {
    buttons.push(
      el("button", { className: "msg-action msg-edit-button", text: "Edit", attrs: { type: "button", "aria-label": "Edit message" } }),
    );
  }
  if (canDelete) {
    buttons.push(
      el("button", { className: "msg-action msg-delete-button", text: "Delete", attrs: { type: "button", "aria-label": "Delete message" } }),
    );
  }
  // Replace only when something changed, so focus is not lost for nothing.
  const now = Array.from(box.children, (b) => b.className).join();
  const next = buttons.map((b) => b.className).join();
  if (now !== next) box.replaceChildren(...buttons);
}

// Back to the row's first control (after editing).
export function focusActions(li) {
  (li.querySelector(".msg-edit-button") || li.querySelector(".msg-delete-button"))?.focus();
}

export function markRemoved(li) {
  li.className = "msg msg-removed";
  li.replaceChildren(el("p", { className: "msg-text", text: REMOVED_TEXT }));
}

export function pendingRow(clientId, text, username, avatar) {
  return el(
    "li",
    { className: "msg own pending", attrs: { "data-client-id": clientId, "data-day": dayKey(new Date().toISOString()) } },
    el(
      "div",
      { className: "msg-meta" },
      avatarElement(username, avatar, AVATAR_SIZE),
      el("span", { className: "msg-author", text: username }),
      el("span", { className: "msg-state", text: "sending…" }),
    ),
    el("p", { className: "msg-text", text }),
  );
}

// A notice sits just after the newest message shown when it arrived (afterId).
export function noticeRow(text, ts, kind, afterId) {
  // A notice belongs to the day it happened, like a message (days.js puts the separator above it).
  const day = dayKey(ts || new Date().toISOString());
  const li = el("li", { className: `notice notice-${kind}`, attrs: { "data-after": String(afterId), "data-day": day } }, el("span", { className: "notice-text", text }));
  if (ts) li.append(" ", timeElement(ts));
  return li;
}

// Every row has a position: a message its id, a notice just after the newest
// message shown when it arrived, a day separator just before its first
// message or notice, an unsent message the very end.
export function position(node) {
  if (node.dataset.id !== undefined) return Number(node.dataset.id);
  if (node.dataset.after !== undefined) return Number(node.dataset.after) + 0.5;
  if (node.dataset.before !== undefined) return Number(node.dataset.before) - 0.25;
  if (node.dataset.beforeNotice !== undefined) return Number(node.dataset.beforeNotice) + 0.4;
  return Infinity;
}
