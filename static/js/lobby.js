// The lobby: keep the public room list and its counts live.

import { el } from "./dom.js";
import { Close } from "./protocol.js";
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
  // The forms still work; only the counts stop being live (the socket does not retry).
  socket.on("closed", ({ code }) => {
    if (code !== Close.TOO_MANY_SOCKETS) return;
    const text = "chatsite is open in too many tabs, so these counts are not live; close some and reload this page.";
    list.before(el("p", { className: "field-error", text, attrs: { role: "status" } }));
  });
  socket.connect();
}
