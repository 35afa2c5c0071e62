// The person's own stream on the room page: the "Direct messages" section of
// the sidebar (newest activity first, the others' names, avatars and online
// dots), unread badges on every room and conversation this person belongs
// to, the total in the tab title, and whom they block (their messages are
// hidden on this page). Restored from `inbox` on every (re)connect (its
// newest conversations; older ones page in with `inbox_more` as the list
// scrolls to its end, or from the "Older conversations" button); kept live by `direct_added`, `unread`, `online`, `block_added` and `block_removed`.

import { avatarElement, el } from "../dom.js";

function peopleNames(conversation) {
  return conversation.people.map((person) => person.username).join(", ") || "Just you";
}

function unreadBadge(count) {
  return el("span", {
    className: "unread-badge",
    text: String(count),
    attrs: { "aria-label": `${count} unread` },
  });
}

export class DirectMessages {
  // onPick(room): a conversation was picked in the sidebar; onChange(): the counts changed;
  // onMore(before): ask for the conversations older than `before` (inbox_more).
  constructor({ section, list, more, roomLists }, { onPick, onChange, onMore }) {
    this.section = section;
    this.list = list;
    this.moreButton = more;
    this.hasMore = false;
    this.asking = null; // the `before` of the page asked for, until it comes
    this.onMore = onMore;
    more.addEventListener("click", () => this.askMore());
    // Scrolled to the end of the list: the next page, without a click.
    if ("IntersectionObserver" in window) {
      new IntersectionObserver((entries) => {
        if (entries.some((entry) => entry.isIntersecting)) this.askMore();
      }).observe(more);
    }
    this.roomLists = roomLists; // the sidebar's other lists: their <li data-room> get badges too
    this.onChange = onChange;
    this.conversations = new Map(); // room → conversation
    this.counts = new Map(); // room → unread count
    this.lastRead = new Map(); // room → last_read id
    this.blocked = new Map(); // author token → name
    this.current = null;
    list.addEventListener("click", (e) => {
      const link = e.target.closest("a.sidebar-room");
      if (!link || e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      onPick(link.closest("li").dataset.room);
    });
  }

  // inbox: everything, from the database, on every (re)connect.
  restore({ conversations = [], unread = [], blocked = [], more = false }) {
    this.conversations = new Map(conversations.map((c) => [c.room, c]));
    this.counts = new Map(unread.map((row) => [row.room, row.count]));
    this.lastRead = new Map(unread.map((row) => [row.room, row.last_read]));
    this.blocked = new Map(blocked.map((b) => [b.author, b.username]));
    this.hasMore = more;
    this.asking = null;
    this.render();
  }

  // inbox_page: older conversations, after the one asked about.
  page({ before, conversations = [], unread = [], more = false }) {
    if (before !== this.asking) return; // an answer to a request of before a reconnect
    this.asking = null;
    for (const c of conversations) if (!this.conversations.has(c.room)) this.conversations.set(c.room, c);
    for (const row of unread) {
      this.counts.set(row.room, row.count);
      this.lastRead.set(row.room, row.last_read);
    }
    this.hasMore = more;
    this.render();
  }

  // The oldest conversation listed is where the next page starts.
  askMore() {
    if (!this.hasMore || this.asking !== null || this.moreButton.hidden) return;
    const listed = this.newestFirst();
    if (!listed.length) return;
    this.asking = listed[listed.length - 1].room;
    this.onMore(this.asking);
  }

  newestFirst() {
    return [...this.conversations.values()].sort(
      (a, b) => (b.last_active || "").localeCompare(a.last_active || "") || b.room.localeCompare(a.room),
    );
  }

  added(conversation) {
    if (this.counts.get(conversation.room)) conversation.last_active = new Date().toISOString(); // news: on top
    this.conversations.set(conversation.room, conversation);
    this.render();
  }

  // unread {room, count, username?, last_read?}; true when it is someone's new message.
  unread({ room, count, last_read: lastRead }) {
    this.counts.set(room, count);
    if (lastRead !== undefined) this.lastRead.set(room, lastRead);
    const conversation = this.conversations.get(room);
    if (conversation) conversation.last_active = new Date().toISOString();
    this.render();
  }

  // online {author, online}: someone we share a conversation with came online or went offline.
  online({ author, online }) {
    let changed = false;
    for (const conversation of this.conversations.values()) {
      for (const person of conversation.people) {
        if (person.author === author && person.online !== online) {
          person.online = online;
          changed = true;
        }
      }
    }
    if (changed) this.render();
  }

  isDirect(room) {
    return this.conversations.has(room);
  }

  title(room) {
    const conversation = this.conversations.get(room);
    return conversation ? peopleNames(conversation) : null;
  }

  markCurrent(room) {
    this.current = room;
    this.counts.set(room, 0); // being shown: read (the page tells the server, mark_read)
    this.render();
  }

  // The unread messages of every room but the one shown, for the tab title.
  total() {
    let sum = 0;
    for (const [room, count] of this.counts) if (room !== this.current) sum += count;
    return sum;
  }

  block({ author, username }) {
    this.blocked.set(author, username);
    this.onChange();
  }

  unblock({ author }) {
    this.blocked.delete(author);
    this.onChange();
  }

  // The names of the people this person blocks (the "New conversation" dialog leaves them out).
  blockedNames() {
    return [...this.blocked.values()];
  }

  isBlocked(author) {
    return Boolean(author) && this.blocked.has(author);
  }

  render() {
    const newestFirst = this.newestFirst();
    this.list.replaceChildren(...newestFirst.map((c) => this.item(c)));
    this.section.hidden = false; // empty, it still holds "New conversation"
    this.moreButton.hidden = !this.hasMore;
    for (const list of this.roomLists) {
      for (const li of list.children) this.badge(li, this.counts.get(li.dataset.room) || 0);
    }
    this.onChange();
  }

  item(conversation) {
    const faces = el(
      "span",
      { className: "direct-faces" },
      ...conversation.people.slice(0, 3).map((person) => {
        const face = el("span", { className: "direct-face" }, avatarElement(person.username, person.avatar, 24));
        face.append(el("span", { className: person.online ? "online-dot online" : "online-dot", attrs: { "aria-hidden": "true" } }));
        return face;
      }),
    );
    const online = conversation.people.filter((p) => p.online).map((p) => p.username);
    const link = el(
      "a",
      { className: "sidebar-room direct-room", attrs: { href: `/r/${encodeURIComponent(conversation.room)}/` } },
      faces,
      el("span", { className: "room-title", text: peopleNames(conversation) }),
      el("span", { className: "visually-hidden", text: online.length ? ` (online: ${online.join(", ")})` : " (offline)" }),
    );
    if (conversation.room === this.current) link.setAttribute("aria-current", "page");
    const li = el("li", { className: "sidebar-direct-room" }, link);
    li.dataset.room = conversation.room;
    this.badge(li, conversation.room === this.current ? 0 : this.counts.get(conversation.room) || 0);
    return li;
  }

  badge(li, count) {
    const link = li.querySelector("a");
    if (!link) return;
    link.querySelector(".unread-badge")?.remove();
    if (count > 0 && li.dataset.room !== this.current) link.append(unreadBadge(count));
  }
}
