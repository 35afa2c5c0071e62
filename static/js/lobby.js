// The lobby: the busiest public rooms with live counts, and a search that finds any room.
//
// Two lists, both kept live by room_update: #room-list holds room_list (at most
// LOBBY_ROOMS_MAX rooms, the server's `limit`) and #room-results a search's
// pages (room_results). A live update adds a room neither list shows only
// where it belongs: to the busiest rooms while fewer than `limit` are shown, to
// the results when its name matches the search and the last page is shown.
// Otherwise it is left out, so 10,000 rooms never make either list unbounded;
// the next room_list (a reconnect, a reload) reorders the busiest.

import { el } from "./dom.js";
import { Close } from "./protocol.js";
import { ChatSocket } from "./socket.js";
import { RoomList, countBadge } from "./roomlist.js";

const SEARCH_DELAY_MS = 250; // typing a name sends one find_rooms, not one per key

function roomButton(room) {
  return el(
    "li",
    {},
    el(
      "button",
      { className: "room-button", attrs: { type: "submit", name: "enter", value: room.name } },
      el("span", { className: "room-title", text: (room.kind === "topic" ? "#" : "") + room.title }),
      countBadge(room.users),
    ),
  );
}

const top = document.getElementById("room-list");
const resultsList = document.getElementById("room-results");
const input = document.getElementById("room-search-input");
const searchForm = document.getElementById("room-search");
const status = document.getElementById("room-list-status");
const more = document.getElementById("room-list-more");

if (top && resultsList && input && searchForm) {
  const socket = new ChatSocket("/ws/chat/");
  let search = null; // null: the busiest rooms are shown; else {query, next} of the results shown
  let hidden = 0; // rooms room_list left out

  const busiest = new RoomList(top, roomButton);
  const results = new RoomList(resultsList, roomButton, {
    accepts: (room) => search !== null && search.next === null && matches(room, search.query),
  });

  function matches(room, query) {
    return room.name.toLowerCase().includes(query.trim().toLowerCase());
  }

  function showMore(text, href) {
    more.hidden = !text;
    more.textContent = text || "";
    if (href) more.setAttribute("href", href);
  }

  function showBusiest() {
    search = null;
    resultsList.hidden = true;
    top.hidden = false;
    status.textContent = hidden > 0 ? `and ${hidden} more ${hidden === 1 ? "room" : "rooms"}` : "";
    showMore(hidden > 0 ? "All rooms, A to Z" : "", "?q=");
  }

  function find(query, after = null) {
    search = { query, next: search?.query === query ? search.next : null, pending: after };
    socket.send("find_rooms", after ? { query, after } : { query });
  }

  busiest.bind(socket, {
    onList: ({ rooms, total }) => {
      hidden = Math.max(0, (total ?? rooms.length) - rooms.length);
      if (search === null) showBusiest();
      else find(search.query); // reconnected mid-search: its results again, from the first page
    },
  });
  results.bind(socket, { list: false });

  socket.on("room_results", ({ query, rooms, next }) => {
    if (search === null || query !== search.query) return; // an answer to a search since replaced
    if (search.pending) results.append(rooms);
    else results.replaceAll(rooms);
    search = { query, next, pending: null };
    top.hidden = true;
    resultsList.hidden = false;
    resultsStatus();
    showMore(next ? "More rooms" : "", `?q=${encodeURIComponent(query)}&after=${encodeURIComponent(next || "")}`);
  });

  function resultsStatus() {
    if (search === null) return;
    const query = search.query.trim();
    const none = query ? `No room has “${query}” in its name.` : "No rooms yet.";
    status.textContent = resultsList.children.length ? "" : none;
  }
  // After the lists have taken a live update (their handlers were bound first): a search that found
  // nothing may have found something now, or lost its last room.
  for (const event of ["room_update", "room_updates", "room_removed"]) socket.on(event, resultsStatus);

  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const query = input.value.trim();
      if (query) find(query);
      else showBusiest();
    }, SEARCH_DELAY_MS);
  });
  searchForm.addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(timer);
    find(input.value.trim());
  });
  more.addEventListener("click", (e) => {
    if (!socket.ws || socket.ws.readyState !== WebSocket.OPEN) return; // the link works without the socket
    e.preventDefault();
    if (search === null) find(""); // every room, A to Z
    else if (search.next) find(search.query, search.next);
  });

  // A page loaded from ?q= (a search without the socket): carry on from it live.
  const params = new URLSearchParams(location.search);
  if (params.has("q")) search = { query: params.get("q") || "", next: null, pending: null };

  // The forms still work; only the counts stop being live (the socket does not retry).
  socket.on("closed", ({ code }) => {
    if (code !== Close.TOO_MANY_SOCKETS) return;
    const text = "chatsite is open in too many tabs, so these counts are not live; close some and reload this page.";
    top.before(el("p", { className: "field-error", text, attrs: { role: "status" } }));
  });
  socket.connect();
}
