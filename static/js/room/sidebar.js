// The room sidebar: the public rooms with live counts, the current one
// marked, and picking one switches rooms without a reload.

import { el } from "../dom.js";
import { RoomList, countBadge } from "../roomlist.js";

function roomLink(room) {
  const link = el(
    "a",
    { className: "sidebar-room", attrs: { href: `/r/${encodeURIComponent(room.name)}/` } },
    el("span", { className: "room-title", text: (room.kind === "topic" ? "#" : "") + room.title }),
    countBadge(room.users),
  );
  return el("li", {}, link);
}

export class Sidebar {
  // onPick(name): a room was picked (a plain click; modified clicks open a tab as usual).
  constructor(list, socket, { onPick }) {
    this.list = list;
    this.rooms = new RoomList(list, roomLink);
    this.rooms.bind(socket);
    list.addEventListener("click", (e) => {
      const link = e.target.closest("a.sidebar-room");
      if (!link || e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      onPick(link.closest("li").dataset.room);
    });
  }

  // The room's title as the list shows it ("#General"), or null for a room not listed.
  titleOf(name) {
    const li = Array.from(this.list.children).find((item) => item.dataset.room === name);
    return li ? li.querySelector(".room-title").textContent : null;
  }

  markCurrent(name) {
    for (const li of this.list.children) {
      const link = li.querySelector("a");
      if (li.dataset.room === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }
}
