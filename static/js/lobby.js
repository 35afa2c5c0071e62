// The lobby: keep the public room list and its counts live.

import { el } from "./dom.js";
import { ChatSocket } from "./socket.js";
import { RoomList, countBadge } from "./roomlist.js";

const list = document.getElementById("room-list");
if (list) {
  const rooms = new RoomList(list, (room) =>
    el(
      "li",
      {},
      el(
        "button",
        { className: "room-button", attrs: { type: "submit", name: "enter", value: room.name } },
        el("span", { className: "room-title", text: (room.kind === "topic" ? "#" : "") + room.title }),
        countBadge(room.users),
      ),
    ),
  );
  const socket = new ChatSocket("/ws/chat/");
  rooms.bind(socket);
  socket.connect();
}
