// The room sidebar: the public rooms room_list carries (the busiest, at most
// LOBBY_ROOMS_MAX; "N more" links to the lobby's A to Z list) with live counts,
// the private rooms this page has been in (only here: nobody else can find
// them), the current one marked (and listed, even when it is not among the
// busiest), and picking one switches rooms without a reload. Direct
// conversations have their own section (direct.js).

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

function roomAddress(name) {
  return new URL(`/r/${encodeURIComponent(name)}/`, location.origin).href;
}

function privateRoomItem(room) {
  // The visible words start the accessible name; the hidden rest says which room.
  const label = el("span", { text: "Copy link" });
  const copy = el(
    "button",
    { className: "link-button copy-room", attrs: { type: "button" } },
    label,
    el("span", { className: "visually-hidden", text: ` for ${room.title}` }),
  );
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(roomAddress(room.name));
      label.textContent = "Link copied";
    } catch {
      label.textContent = roomAddress(room.name); // no clipboard: show it to copy by hand
    }
  });
  const link = el(
    "a",
    { className: "sidebar-room", attrs: { href: `/r/${encodeURIComponent(room.name)}/` } },
    el("span", { className: "room-title", text: room.title }),
    el("code", { className: "room-code", text: room.name }),
  );
  const li = el("li", { className: "sidebar-private-room" }, link, copy);
  li.dataset.room = room.name;
  return li;
}

export class Sidebar {
  // onPick(name): a room was picked (a plain click; modified clicks open a tab as usual).
  constructor(list, socket, { onPick }) {
    this.list = list;
    this.rooms = new RoomList(list, roomLink);
    const more = document.getElementById("sidebar-more");
    this.rooms.bind(socket, {
      onList: ({ rooms, total }) => {
        const left = Math.max(0, (total ?? rooms.length) - rooms.length);
        more.hidden = left === 0;
        more.textContent = `${left} more ${left === 1 ? "room" : "rooms"} in the lobby`;
      },
    });
    this.privateSection = document.getElementById("sidebar-private");
    this.privateList = document.getElementById("sidebar-private-rooms");
    for (const each of [list, this.privateList]) {
      each.addEventListener("click", (e) => {
        const link = e.target.closest("a.sidebar-room");
        if (!link || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        onPick(link.closest("li").dataset.room);
      });
    }
  }

  // The room's title as the list shows it ("#General"), or null for a room not listed.
  titleOf(name) {
    const li = Array.from(this.list.children).find((item) => item.dataset.room === name);
    return li ? li.querySelector(".room-title").textContent : null;
  }

  // The room just joined (its data from join_confirm, or only its name): marked as
  // current; a private one is listed, for this page only.
  markCurrent(room) {
    const name = typeof room === "string" ? room : room.name;
    if (room.kind && !["private", "direct"].includes(room.kind) && !this.rooms.item(name)) {
      this.list.append(this.rooms.build(room));
    }
    if (room.kind === "private" && ![...this.privateList.children].some((li) => li.dataset.room === name)) {
      this.privateList.append(privateRoomItem(room));
      this.privateSection.hidden = false;
    }
    for (const li of [...this.list.children, ...this.privateList.children]) {
      const link = li.querySelector("a");
      if (li.dataset.room === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }
}
