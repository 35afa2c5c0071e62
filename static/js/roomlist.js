// A live list of public rooms with member counts (lobby grid and room sidebar).

import { el } from "./dom.js";

export class RoomList {
  // render(room) builds the <li> for a room; it must hold a [data-count] .count-value.
  constructor(listNode, render) {
    this.list = listNode;
    this.render = render;
  }

  item(name) {
    return Array.from(this.list.children).find((li) => li.dataset.room === name) || null;
  }

  replaceAll(rooms) {
    this.list.replaceChildren(...rooms.map((room) => this.build(room)));
  }

  build(room) {
    const li = this.render(room);
    li.dataset.room = room.name;
    return li;
  }

  update(room) {
    const li = this.item(room.name);
    if (!li) {
      if (room.kind && room.kind !== "private") this.list.append(this.build(room));
      return;
    }
    const value = li.querySelector(".count-value");
    if (value && typeof room.users === "number") value.textContent = String(room.users);
  }

  remove(name) {
    const li = this.item(name);
    if (li) li.remove();
  }

  bind(socket) {
    socket.on("room_list", ({ rooms }) => this.replaceAll(rooms || []));
    socket.on("room_update", (room) => this.update(room));
    socket.on("room_updates", ({ rooms }) => (rooms || []).forEach((room) => this.update(room)));
    socket.on("room_removed", ({ name }) => this.remove(name));
  }
}

export function countBadge(users) {
  return el("span", { className: "room-count", attrs: { "data-count": "" } }, el("span", { className: "count-value", text: String(users) }), " online");
}
