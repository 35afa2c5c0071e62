// Replies: the one-line quote a reply shows (built by the server from the
// original as it is now; kept current here when the original is edited or
// removed), and the bar above the composer saying what the next message answers.

import { el, excerpt } from "../dom.js";

const REMOVED = "Message removed";

// The quote at the top of a reply: a button that jumps to the original, or plain text once it is removed.
export function quoteNode(quote) {
  if (quote.removed) {
    return el("p", { className: "msg-quote removed", attrs: { "data-quote-id": String(quote.id) } }, el("span", { className: "quote-text", text: REMOVED }));
  }
  const text = excerpt(quote.text);
  // Its name is its text (what it shows, and what a screen reader says), with what it is and does around it.
  // data-quote-author: the original's author token, so a block can cover the quote (MessageList.markQuotes).
  return el(
    "button",
    { className: "msg-quote", attrs: { type: "button", "data-quote-id": String(quote.id), "data-author": quote.username, "data-quote-author": quote.author ?? "" } },
    el("span", { className: "visually-hidden", text: "In reply to" }),
    el("span", { className: "quote-author", text: `${quote.username}:` }),
    el("span", { className: "quote-text", text }),
    el("span", { className: "quote-blocked", text: "a message from someone you blocked" }),
    el("span", { className: "visually-hidden", text: "(show the original message)" }),
  );
}

// The original changed (edited, or removed): every reply to it shows it so.
export function updateQuotes(list, id, { text, removed }) {
  for (const node of list.querySelectorAll(`.msg-quote[data-quote-id="${id}"]`)) {
    const author = node.dataset.author ?? "";
    const token = node.dataset.quoteAuthor || null;
    const next = removed ? quoteNode({ id, removed: true }) : quoteNode({ id, username: author, author: token, text, removed: false });
    if (node.classList.contains("from-blocked")) next.classList.add("from-blocked");
    const hadFocus = node === document.activeElement;
    node.replaceWith(next);
    if (hadFocus) next.focus?.();
  }
}

// "Replying to ann: …" with a cancel, above the message box.
export class ReplyBar {
  constructor({ bar, text, cancel, input }) {
    Object.assign(this, { bar, text, input });
    this.replyTo = null; // the id the next message answers
    cancel.addEventListener("click", () => this.cancel({ focus: true }));
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.replyTo !== null && !e.defaultPrevented) {
        e.preventDefault();
        this.cancel({ focus: true });
      }
    });
  }

  start(message) {
    this.replyTo = message.id;
    this.text.textContent = "";
    this.text.append("Replying to ", el("strong", { text: message.username }), `: ${excerpt(message.text)}`);
    this.bar.hidden = false;
    this.input.focus();
  }

  // The message it answers was removed, or the room changed: nothing to answer any more.
  forget(id) {
    if (id === undefined || id === this.replyTo) this.cancel({ focus: false });
  }

  cancel({ focus }) {
    this.replyTo = null;
    this.bar.hidden = true;
    this.text.textContent = "";
    if (focus) this.input.focus();
  }

  // What the message being sent answers; the bar closes.
  take() {
    const id = this.replyTo;
    if (id !== null) this.cancel({ focus: false });
    return id;
  }
}
