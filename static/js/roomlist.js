// A live list of public rooms with member counts (lobby grid and room sidebar).
//
// Bounded: room_list carries at most `limit` rooms (LOBBY_ROOMS_MAX) of
// possibly thousands, and every public room's room_update reaches every socket.
// An update for a room the list does not show adds it only if `accepts(room)`
// says so; by default while fewer than `limit` rooms are shown (a new room
// in a lobby that is not full), never past it.

import { el } from "./dom.js";

export class RoomList {
  // render(room) builds the <li> for a room; it must hold a [data-count] .count-value.
  constructor(listNode, render, { accepts } = {}) {
    this.list = listNode;
    this.render = render;
    this.limit = Infinity;
    this.accepts = accepts || (() => this.list.children.length < this.limit);
  }

  item(name) {
    return Array.from(this.list.children).find((li) => li.dataset.room === name) || null;
  }

  // In place: a room already shown keeps its element (only its count changes) and nothing moves
  // that need not, so a click or the focus on a room never lands on an element just thrown away
  // (the lobby's rooms are drawn by the server, then room_list comes as the socket opens).
  replaceAll(rooms) {
    const focused = this.focusedItem();
    const shown = new Map(Array.from(this.list.children, (li) => [li.dataset.room, li]));
    const nodes = rooms.map((room) => {
      const li = shown.get(room.name);
      if (!li) return this.build(room);
      this.setCount(li, room);
      return li;
    });
    nodes.forEach((li, at) => {
      if (this.list.children[at] !== li) this.list.insertBefore(li, this.list.children[at] || null);
    });
    while (this.list.children.length > nodes.length) this.list.lastElementChild.remove();
    if (focused && !focused.isConnected) this.refocus(this.list.firstElementChild);
  }

  setCount(li, room) {
    const value = li.querySelector(".count-value");
    if (value && typeof room.users === "number") value.textContent = String(room.users);
  }

  // The list changes under a keyboard user's feet (rooms come and go live): the focus is never
  // dropped to the page's start with the item that held it, but kept on the same room or a neighbour.
  focusedItem() {
    const active = document.activeElement;
    return active && active !== this.list && this.list.contains(active) ? active.closest("li") : null;
  }

  refocus(li) {
    const target = li?.querySelector("a[href], button");
    if (target) target.focus({ preventScroll: true });
  }

  // Another page of rooms after those shown (a room already shown is not shown twice).
  append(rooms) {
    for (const room of rooms) if (!this.item(room.name)) this.list.append(this.build(room));
  }

  build(room) {
    const li = this.render(room);
    li.dataset.room = room.name;
    return li;
  }

  update(room) {
    const li = this.item(room.name);
    if (!li) {
      if (room.kind && room.kind !== "private" && this.accepts(room)) this.list.append(this.build(room));
      return;
    }
    this.setCount(li, room);
  }

  remove(name) {
    const li = this.item(name);
    if (!li) return;
    const neighbour = this.focusedItem() === li ? li.nextElementSibling || li.previousElementSibling : null;
    li.remove();
    if (neighbour) this.refocus(neighbour);
  }

  // list: false for a list that room_list does not fill (the lobby's search results).
  // onList(data) runs after room_list has been drawn, with the frame's data ({rooms, total, limit}).
  bind(socket, { list = true, onList } = {}) {
    if (list) {
      socket.on("room_list", (data) => {
        this.limit = data.limit ?? Infinity;
        this.replaceAll(data.rooms || []);
        if (onList) onList({ rooms: data.rooms || [], total: data.total, limit: data.limit });
      });
    }
    socket.on("room_update", (room) => this.update(room));
    socket.on("room_updates", ({ rooms }) => (rooms || []).forEach((room) => this.update(room)));
    socket.on("room_removed", ({ name }) => this.remove(name));
  }
}

export function countBadge(users) {
  return el("span", { className: "room-count", attrs: { "data-count": "" } }, el("span", { className: "count-value", text: String(users) }), " online");
}
