// Message search in the header: `/` or Ctrl+K to focus it, results as you type
// (debounced) and at once on Enter, more as the list is scrolled to its end.
// On a phone the box is a button that opens it over the header (chat.css,
// `.site-search.expanded`); Escape or its close button folds it back.
// Snippets come as plain text with UTF-16 ranges to highlight (docs/protocol.md,
// Search): the marks are built here from text nodes, never from server HTML.
// Picking a result hands it to `onOpen`, which opens its room at that message;
// `titleOf(room)` names a conversation by its people (null for a room).

import { el, timeElement } from "../dom.js";

const DEBOUNCE_MS = 250;

// The snippet as text nodes with <mark> around each range (JavaScript indices are UTF-16 units, as the ranges are).
export function highlighted(snippet, ranges) {
  const node = el("span", { className: "search-snippet" });
  let at = 0;
  for (const [start, end] of ranges || []) {
    if (start < at || end > snippet.length || end <= start) continue;
    node.append(document.createTextNode(snippet.slice(at, start)), el("mark", { text: snippet.slice(start, end) }));
    at = end;
  }
  node.append(document.createTextNode(snippet.slice(at)));
  return node;
}

// A conversation is named by its people, as the sidebar names it (titleOf), not by its stored title.
function roomLabel(result, titleOf) {
  if (result.room_kind === "topic") return `#${result.room_title}`;
  const people = result.room_kind === "direct" ? titleOf(result.room) : null;
  return people ? `Conversation with ${people}` : result.room_title;
}

export class SearchPanel {
  // toggle, closer: a phone's search button and the open box's close button (shown by chat.css at narrow widths only).
  constructor({ form, input, panel, list, status, toggle, closer }, socket, { onOpen, titleOf = () => null }) {
    Object.assign(this, { form, input, panel, list, status, toggle, closer, socket, onOpen, titleOf });
    this.root = form.parentElement; // .site-search: "expanded" opens the box over the header on a phone
    this.query = ""; // the query whose results are shown (or awaited)
    this.next = null; // the `before` of the next page, null when there is none
    this.loadingMore = false;
    this.timer = null;
    input.addEventListener("input", () => this.debounce());
    input.addEventListener("focus", () => {
      if (this.query && this.input.value.trim() === this.query) this.panel.hidden = false;
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.run();
    });
    toggle?.addEventListener("click", () => (this.expanded() ? this.fold() : this.focus()));
    closer?.addEventListener("click", () => this.fold());
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.escape();
      if (e.key === "ArrowDown" && !this.panel.hidden) {
        e.preventDefault();
        this.list.querySelector("button")?.focus();
      }
    });
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.escape();
    });
    list.addEventListener("scroll", () => this.maybeMore());
    document.addEventListener("keydown", (e) => this.shortcut(e));
    document.addEventListener("click", (e) => {
      if (this.root.contains(e.target)) return;
      this.close(false);
      if (this.folding()) this.fold(false);
    });
    socket.on("search_results", (data) => this.show(data));
  }

  // `/` outside a text field, or Ctrl+K (⌘K) anywhere: to the search box.
  shortcut(e) {
    const typing = e.target.closest?.("input, textarea, select, [contenteditable='true']");
    if ((e.key === "k" || e.key === "K") && (e.ctrlKey || e.metaKey) && !e.altKey) {
      e.preventDefault();
      this.focus();
    } else if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      this.focus();
    }
  }

  focus() {
    this.root.classList.add("expanded");
    this.toggle?.setAttribute("aria-expanded", "true");
    this.input.focus();
    this.input.select();
  }

  expanded() {
    return this.root.classList.contains("expanded");
  }

  // Whether the box folds away into its button here (a phone's width: the button is shown).
  folding() {
    return Boolean(this.toggle) && getComputedStyle(this.toggle).display !== "none";
  }

  // Escape: a phone's box folds back into its button; a wide one keeps the box, the results close.
  escape() {
    if (this.folding()) this.fold();
    else this.close(true);
  }

  fold(refocus = true) {
    this.close(false);
    this.root.classList.remove("expanded");
    this.toggle?.setAttribute("aria-expanded", "false");
    if (refocus && this.folding()) this.toggle.focus();
  }

  debounce() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), DEBOUNCE_MS);
  }

  run() {
    clearTimeout(this.timer);
    const query = this.input.value.trim();
    if (!query) {
      this.query = "";
      this.close(false);
      return;
    }
    if (query === this.query && !this.panel.hidden) return;
    this.query = query;
    this.next = null;
    this.loadingMore = false;
    this.list.replaceChildren();
    this.say("Searching…");
    this.panel.hidden = false;
    this.socket.send("search", { query });
  }

  maybeMore() {
    if (this.next === null || this.loadingMore) return;
    if (this.list.scrollTop + this.list.clientHeight < this.list.scrollHeight - 40) return;
    this.loadingMore = true;
    this.socket.send("search", { query: this.query, before: this.next });
  }

  show(data) {
    if (data.query !== this.query) return; // an answer to a query typed over since
    const more = this.loadingMore;
    this.loadingMore = false;
    this.next = data.next;
    for (const result of data.results) this.list.append(this.item(result));
    if (!this.list.children.length) this.say(`No results for “${data.query}”.`);
    else if (!more) this.say(`${data.results.length}${data.next !== null ? "+" : ""} ${data.results.length === 1 && data.next === null ? "result" : "results"}`);
    this.maybeMore(); // a first page that does not fill the list
  }

  item(result) {
    const button = el(
      "button",
      { className: "search-result", attrs: { type: "button" } },
      el(
        "span",
        { className: "search-meta" },
        el("span", { className: "search-room", text: roomLabel(result, this.titleOf) }),
        el("span", { className: "search-author", text: result.username }),
        timeElement(result.ts),
      ),
      highlighted(result.snippet, result.ranges),
    );
    button.addEventListener("click", () => {
      this.fold(false);
      this.onOpen(result);
    });
    const li = el("li", {}, button);
    li.dataset.id = String(result.id);
    return li;
  }

  // A refused search (too many at once): said in the panel, where the person is looking.
  refused(error) {
    this.loadingMore = false;
    this.root.classList.add("expanded");
    this.panel.hidden = false;
    this.say(error.message);
  }

  say(text) {
    this.status.textContent = text;
  }

  close(refocus) {
    this.panel.hidden = true;
    if (refocus) this.input.focus();
  }
}
