// The room page: wires the socket to the message list, members, sidebar and composer.

import { Composer } from "./composer.js";
import { el, randomId, readConfig } from "./dom.js";
import { renderMembers } from "./members.js";
import { MessageList } from "./messages.js";
import { Outbox } from "./outbox.js";
import { RoomList, countBadge } from "./roomlist.js";
import { ChatSocket } from "./socket.js";

const config = readConfig("chat-config");
const state = {
  room: config.room, // the room we are in, or are joining
  joined: null, // the room the server confirmed
  username: config.username,
  loadingOlder: false,
  hasMore: false,
};

const $ = (id) => document.getElementById(id);
const scroller = $("messages");
const messages = new MessageList($("message-list"), scroller, {
  isOwn: (m) => m.username === state.username || (m.client_id && outbox.get(m.client_id) !== undefined),
});
const outbox = new Outbox();
const socket = new ChatSocket(config.wsPath);
const statusNode = $("connection-status");
const loadOlder = $("load-older");

const STATUS_TEXT = { connecting: "Connecting…", open: "Connected", reconnecting: "Reconnecting…", offline: "Offline" };

const composer = new Composer($("composer"), $("message-input"), $("composer-error"), sendMessage);

const sidebar = new RoomList($("sidebar-rooms"), (room) => {
  const link = el(
    "a",
    { className: "sidebar-room", attrs: { href: `/r/${encodeURIComponent(room.name)}/` } },
    el("span", { className: "room-title", text: (room.kind === "topic" ? "#" : "") + room.title }),
    countBadge(room.users),
  );
  return el("li", {}, link);
});
sidebar.bind(socket);

function markCurrentRoom() {
  for (const li of $("sidebar-rooms").children) {
    const link = li.querySelector("a");
    if (li.dataset.room === state.joined) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// --- joining ---------------------------------------------------------------

function join(roomName) {
  state.room = roomName;
  const data = { room_name: roomName, username: state.username };
  // Coming back to the room we were in: ask only for what we missed.
  if (state.joined === roomName && messages.newestId >= 0) data.since_id = messages.newestId;
  socket.send("join_room", data);
}

socket.on("state", (s) => {
  statusNode.dataset.state = s;
  statusNode.textContent = STATUS_TEXT[s] || s;
  document.body.dataset.connection = s;
  if (s === "open") join(state.room);
});

socket.on("join_confirm", (data) => {
  const room = data.room;
  const switched = state.joined !== room.name;
  state.joined = state.room = room.name;
  state.username = data.username;
  if (switched || !data.resumed) messages.setHistory(data.history || []);
  else for (const m of data.history || []) messages.add(m);
  state.hasMore = Boolean(data.has_more);
  loadOlder.hidden = !state.hasMore;
  renderMembers($("member-list"), $("member-count"), data.members || [], state.username);
  $("room-title").textContent = room.title;
  document.title = `${room.title} · chatsite`;
  const path = `/r/${encodeURIComponent(room.name)}/`;
  if (location.pathname !== path) history.pushState({ room: room.name }, "", path);
  markCurrentRoom();
  for (const [clientId, item] of outbox.forRoom(room.name)) {
    if (!messages.pending.has(clientId)) messages.addPending(clientId, item.text, state.username);
    socket.send("send_message", { text: item.text, client_id: clientId });
  }
});

socket.on("resync_required", () => messages.clear());

socket.on("leave_confirm", () => {
  state.joined = null;
});

// --- messages --------------------------------------------------------------

function sendMessage(text) {
  if (text.length > config.maxLength) {
    composer.showError(`Messages are limited to ${config.maxLength} characters.`);
    return false;
  }
  const clientId = randomId();
  outbox.add(clientId, state.room, text);
  messages.addPending(clientId, text, state.username);
  if (state.joined === state.room) socket.send("send_message", { text, client_id: clientId });
  return true;
}

socket.on("receive_message", (m) => {
  if (m.room !== state.joined) return;
  messages.add(m);
  if (m.client_id) outbox.remove(m.client_id);
});

socket.on("ack", ({ client_id: clientId }) => outbox.remove(clientId));

socket.on("history", (data) => {
  if (data.room !== state.joined) return;
  messages.prependHistory(data.messages || []);
  state.hasMore = Boolean(data.has_more);
  loadOlder.hidden = !state.hasMore;
  state.loadingOlder = false;
});

socket.on("system_message", (data) => {
  if (data.room === state.joined) messages.addNotice(data.text, data.ts, data.kind);
});

socket.on("member_list", (data) => {
  if (data.room === state.joined) renderMembers($("member-list"), $("member-count"), data.members, state.username);
});

socket.on("error", (error) => {
  if (error.client_id) {
    const item = outbox.get(error.client_id);
    outbox.remove(error.client_id);
    messages.removePending(error.client_id);
    if (item) composer.restore(item.text);
  }
  if (error.event === "join_room" && error.code === "room_not_found") {
    composer.showError(`${error.message} Pick another room from the list or go back to the lobby.`);
    return;
  }
  composer.showError(error.message);
});

// --- older history ---------------------------------------------------------

function requestOlder() {
  if (state.loadingOlder || !state.hasMore || messages.oldestId === null) return;
  state.loadingOlder = true;
  socket.send("history", { before_id: messages.oldestId, limit: 50 });
}

loadOlder.addEventListener("click", requestOlder);
scroller.addEventListener("scroll", () => {
  if (scroller.scrollTop < 60) requestOlder();
});

// --- switching rooms without a reload ----------------------------------------

$("sidebar-rooms").addEventListener("click", (e) => {
  const link = e.target.closest("a.sidebar-room");
  if (!link || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  const name = link.closest("li").dataset.room;
  if (name !== state.joined) join(name);
});

window.addEventListener("popstate", () => {
  const match = location.pathname.match(/^\/r\/([^/]+)\/$/);
  if (match) join(decodeURIComponent(match[1]));
});

const copyButton = $("copy-code");
if (copyButton) {
  copyButton.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      copyButton.textContent = "Copied!";
    } catch {
      copyButton.textContent = location.href;
    }
  });
}

socket.connect();
