// One row of the message list, built from data: a message, an unsent message,
// a notice, or what a moderator left of a message. Text only through
// textContent (dom.js, richtext.js).

import { accountBadge, avatarElement, dayKey, el, timeElement } from "../dom.js";
import { isEmojiOnly, mentions, renderText } from "../richtext.js";
import { renderReactions } from "./reactions.js";
import { renderPreview } from "./previews.js";
import { quoteNode } from "./replies.js";
import { durationText } from "./recorder.js";
import { sizeText } from "./uploads.js";

const REMOVED_TEXT = "Message removed by a moderator";
const AVATAR_SIZE = 20;

// own: this browser sent it; me: my display name, for mentions; author: my token, for my reactions.
export function messageRow(message, { own, me, author }) {
  const li = el(
    "li",
    // tabindex -1: a jump to it (a reply's quote, a link) moves the focus here.
    {
      className: own ? "msg own" : "msg",
      attrs: { "data-id": String(message.id), "data-day": dayKey(message.ts), "data-author": message.author || "", tabindex: "-1" },
    },
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
    message.reply_to ? quoteNode(message.reply_to) : null,
    el("p", { className: "msg-text" }),
    message.attachments?.length ? filesNode(message.attachments) : null,
    el("div", { className: "msg-preview-slot" }),
    el("div", { className: "msg-reactions", attrs: { role: "group", "aria-label": "Reactions" } }),
  );
  renderBody(li, message, { own, me });
  renderPreview(li, message, { own });
  renderReactions(li, message, author);
  return li;
}

// A message's files: pictures as thumbnails whose size is known before they load (the list does not
// jump), videos and sound with the browser's controls, anything else a download with its name and size.
export function filesNode(attachments) {
  const box = el("div", { className: "msg-files" });
  for (const file of attachments) {
    if (file.kind === "image" && file.thumb) {
      box.append(
        el(
          "a",
          { className: "msg-image", attrs: { href: file.url, "data-viewer": "", "data-width": String(file.width), "data-height": String(file.height), "aria-label": `View ${file.name}` } },
          el("img", { attrs: { src: file.thumb.url, width: String(file.thumb.width), height: String(file.thumb.height), alt: file.name, loading: "lazy" } }),
        ),
      );
    } else if (file.kind === "video") {
      box.append(el("video", { className: "msg-video", attrs: { src: file.url, controls: "", preload: "metadata", "aria-label": file.name } }));
    } else if (file.kind === "audio") {
      // The recorder's duration: a recorded WebM has none in its header, so the player alone could not say.
      const label = file.duration != null ? `${file.name}, ${durationText(file.duration)}` : file.name;
      box.append(
        el(
          "div",
          { className: "msg-voice" },
          el("audio", { className: "msg-audio", attrs: { src: file.url, controls: "", preload: "metadata", "aria-label": label } }),
          file.duration != null ? el("span", { className: "msg-duration", text: durationText(file.duration) }) : null,
        ),
      );
    } else {
      box.append(
        el(
          "a",
          { className: "msg-file", attrs: { href: file.url, download: file.name } },
          el("span", { className: "msg-file-icon", text: "📄", attrs: { "aria-hidden": "true" } }),
          el("span", { className: "msg-file-name", text: file.name }),
          el("span", { className: "msg-file-size", text: sizeText(file.size) }),
        ),
      );
    }
  }
  return box;
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

const ACTION = (name, text, label, extra = {}) =>
  el("button", { className: `msg-action msg-${name}-button`, text, attrs: { type: "button", "aria-label": label, ...extra } });

export function renderActions(li, { canEdit, canDelete, canReact }) {
  const box = li.querySelector(".msg-actions");
  if (!box) return;
  const buttons = [];
  // In the room only, like edit and delete: out of it (removed, banned) a page offers nothing to do.
  if (canReact) {
    buttons.push(
      ACTION("react", "React", "React to this message", { "aria-expanded": li.querySelector(".react-panel") ? "true" : "false" }),
      ACTION("reply", "Reply", "Reply to this message"),
      ACTION("link", "Copy link", "Copy link to this message"),
    );
  }
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
  li.removeAttribute("tabindex");
  li.replaceChildren(el("p", { className: "msg-text", text: REMOVED_TEXT }));
}

export function pendingRow(clientId, text, username, avatar, attachments = []) {
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
    attachments.length ? filesNode(attachments) : null,
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
// message shown when it arrived, a gap in the history (jump.js) just after the
// message before it, a day separator just before its first
// message or notice, an unsent message the very end.
export function position(node) {
  if (node.dataset.id !== undefined) return Number(node.dataset.id);
  if (node.dataset.gapAfter !== undefined) return Number(node.dataset.gapAfter) + 0.75;
  if (node.dataset.after !== undefined) return Number(node.dataset.after) + 0.5;
  if (node.dataset.before !== undefined) return Number(node.dataset.before) - 0.25;
  if (node.dataset.beforeNotice !== undefined) return Number(node.dataset.beforeNotice) + 0.4;
  return Infinity;
}

// Messages not loaded between two that are (after a jump to an older one): a button loads them.
export function gapRow(afterId) {
  return el(
    "li",
    { className: "history-gap", attrs: { "data-gap-after": String(afterId) } },
    el("button", { className: "link-button load-newer", text: "Load newer messages", attrs: { type: "button" } }),
  );
}
