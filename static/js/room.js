// The room page: wires the socket to the message list, members, sidebar,
// composer, typing line, owner controls and notifications.

import { Composer } from "./composer.js";
import { el, randomId, readConfig } from "./dom.js";
import { EmojiPicker } from "./emoji.js";
import { MemberList } from "./members.js";
import { MyMessages } from "./mine.js";
import { RoomControls } from "./moderation.js";
import { Notifier } from "./notify.js";
import { Outbox } from "./outbox.js";
import { mentions } from "./richtext.js";
import { Close, Code } from "./protocol.js";
import { MessageList } from "./room/message-list.js";
import { OlderHistory } from "./room/scroll.js";
import { MessageStore } from "./room/store.js";
import { RoomList, countBadge } from "./roomlist.js";
import { ChatSocket } from "./socket.js";
import { TypingIndicator } from "./typing.js";

const config = readConfig("chat-config");
const state = {
  room: config.room, // the room we are in, or are joining (null: stay out)
  joined: null, // the room the server confirmed
  title: config.title,
  username: config.username,
  owner: false,
};

const $ = (id) => document.getElementById(id);
const scroller = $("messages");
const outbox = new Outbox();
const mine = new MyMessages();
const socket = new ChatSocket(config.wsPath);
const statusNode = $("connection-status");

const STATUS_TEXT = { connecting: "Connecting…", open: "Connected", reconnecting: "Reconnecting…", offline: "Offline" };

const store = new MessageStore({ isOwn: (m) => mine.has(m) });
const messages = new MessageList($("message-list"), scroller, store, {
  onEdit: (id, text) => socket.send("edit_message", { id, text }),
  onDelete: (id) => socket.send("delete_message", { id }),
  onFocusLost: () => composer.focus(),
  maxLength: config.maxLength,
});

const composer = new Composer({
  form: $("composer"),
  input: $("message-input"),
  button: $("send-button"),
  errorNode: $("composer-error"),
  statusNode: $("composer-status"),
  onSend: sendMessage,
  onTyping: () => state.joined && socket.send("typing"),
});

const typing = new TypingIndicator($("typing"));
const notifier = new Notifier($("notify-toggle"));
new EmojiPicker($("emoji-button"), $("emoji-panel"), $("message-input"));

const controls = new RoomControls({
  stateNode: $("room-state"),
  ownerBox: $("owner-controls"),
  lockButton: $("lock-toggle"),
  slowSelect: $("slow-mode"),
  send: (event, data) => socket.send(event, data),
});

const members = new MemberList($("member-list"), $("member-count"), { onKick: (name) => controls.kick(name) });

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

function showMembers(names) {
  members.show(names, state.username, { owner: state.owner });
}

// Locked rooms are read-only for all but the owner; out of the room, nobody posts.
function updateComposer() {
  if (!state.room) return; // a removal notice already blocked it
  composer.block(controls.readOnly ? "This room is locked: only its owner can post for now." : null);
}

// --- joining ---------------------------------------------------------------

function join(roomName) {
  state.room = roomName;
  hideRoomNotice();
  const data = { room_name: roomName, username: state.username };
  // Coming back to the room we were in: ask only for what we missed.
  if (state.joined === roomName) data.since_id = store.newestId;
  socket.send("join_room", data);
}

socket.on("state", (s) => {
  statusNode.dataset.state = s;
  statusNode.textContent = STATUS_TEXT[s] || s;
  document.body.dataset.connection = s;
  if (s !== "open") typing.clear();
});

socket.on("connected", () => {
  if (state.room) join(state.room);
});

socket.on("join_confirm", (data) => {
  const room = data.room;
  const switched = state.joined !== room.name;
  state.joined = state.room = room.name;
  state.username = data.username;
  state.owner = Boolean(data.owner);
  state.title = room.title;
  messages.setPermissions({ me: state.username, owner: state.owner, editWindow: data.edit_window });
  older.setHasMore(data.has_more); // before the history, so "scroll to the newest" is exact
  if (switched || !data.resumed) messages.setHistory(data.history || []);
  else for (const m of data.history || []) messages.add(m);
  controls.setOwner(state.owner);
  controls.setState(data);
  updateComposer();
  showMembers(data.members || []);
  if (switched) typing.clear();
  $("room-title").textContent = room.title;
  notifier.setTitle(`${room.title} · chatsite`);
  const path = `/r/${encodeURIComponent(room.name)}/`;
  if (location.pathname !== path) history.pushState({ room: room.name }, "", path);
  markCurrentRoom();
  // Whatever was sent but never acknowledged goes again, with the same client_id:
  // the server stores it once.
  for (const [clientId, item] of outbox.forRoom(room.name)) {
    if (!store.hasPending(clientId)) messages.addPending(clientId, item.text, state.username);
    transmit(clientId, item.text);
  }
});

function transmit(clientId, text) {
  if (socket.send("send_message", { text, client_id: clientId })) outbox.markSent(clientId);
}

// A message still unacknowledged after a while goes again (same client_id, so
// it is stored once): the server may have refused the frame without a word.
const RESEND_AFTER_MS = 6000;
setInterval(() => {
  if (!state.joined || state.joined !== state.room || composer.waiting) return;
  for (const [clientId, item] of outbox.overdue(state.joined, RESEND_AFTER_MS).slice(0, 5)) transmit(clientId, item.text);
}, 2000);

socket.on("resync_required", () => messages.clear());

socket.on("leave_confirm", () => {
  state.joined = null;
});

// --- removed from the room ---------------------------------------------------

function hideRoomNotice() {
  $("room-notice").hidden = true;
}

// Kicked, banned or the room closed: say so, stop posting, offer the lobby.
function removedFromRoom(text) {
  state.room = null;
  state.joined = null;
  typing.clear();
  $("room-notice-text").textContent = text;
  $("room-notice").hidden = false;
  composer.block("You are no longer in this room.");
  messages.addNotice(text, null, "removed");
  showMembers([]);
  controls.setOwner(false);
  $("room-notice-lobby").focus();
}

socket.on("kicked", (data) => removedFromRoom(data.reason || "You were removed from this room."));

socket.on("room_closed", ({ reason }) => {
  const why = !reason ? "This room was closed." : /^closed\b/i.test(reason) ? `This room was ${reason}.` : `This room was closed (${reason}).`;
  removedFromRoom(`${why} Pick another room in the lobby.`);
});

socket.on("closed", ({ code }) => {
  if (code === Close.BANNED) removedFromRoom("You are banned from chatsite.");
  else if (code === Close.FLOOD) removedFromRoom("Disconnected for sending too much at once. Reload the page to come back.");
});

// --- messages --------------------------------------------------------------

function sendMessage(text) {
  if (text.length > config.maxLength) {
    composer.showError(`Messages are limited to ${config.maxLength} characters.`);
    return false;
  }
  if (!state.room) {
    composer.showError("You are not in a room.");
    return false;
  }
  const clientId = randomId();
  mine.add(clientId);
  outbox.add(clientId, state.room, text);
  messages.addPending(clientId, text, state.username);
  if (state.joined === state.room) transmit(clientId, text);
  return true;
}

socket.on("receive_message", (m) => {
  if (m.room !== state.joined) return;
  const fresh = messages.add(m);
  if (m.client_id) outbox.remove(m.client_id);
  typing.stopped(m.username);
  if (fresh && !mine.has(m)) {
    notifier.message({
      username: m.username,
      text: m.text,
      room: m.room,
      roomTitle: state.title,
      mention: mentions(m.text, state.username),
    });
  }
});

socket.on("ack", ({ client_id: clientId, id }) => {
  outbox.remove(clientId);
  messages.acked(clientId, id);
});

socket.on("message_updated", (data) => {
  if (data.room === state.joined) messages.update(data);
});

socket.on("message_deleted", (data) => {
  if (data.room === state.joined) messages.remove(data);
});

socket.on("history_cleared", (data) => {
  if (data.room !== state.joined) return;
  messages.clearMessages();
  messages.addNotice("A moderator cleared the history of this room.", new Date().toISOString(), "moderation");
});

socket.on("history", (data) => {
  if (data.room !== state.joined) return;
  messages.prependHistory(data.messages || [], () => older.setHasMore(data.has_more));
  older.done();
});

socket.on("system_message", (data) => {
  if (data.room === state.joined) messages.addNotice(data.text, data.ts, data.kind);
  if (data.kind === "leave") typing.stopped(data.username);
});

socket.on("member_list", (data) => {
  if (data.room === state.joined) showMembers(data.members);
});

socket.on("typing", (data) => {
  if (data.room === state.joined && data.username !== state.username) typing.typing(data.username);
});

socket.on("room_state", (data) => {
  if (data.room !== state.joined) return;
  const before = controls.locked;
  controls.setState(data);
  updateComposer();
  if (before !== controls.locked) {
    messages.addNotice(controls.locked ? "The room is now locked." : "The room is open again.", new Date().toISOString(), "moderation");
  }
});

socket.on("error", (error) => {
  if (error.client_id) {
    const item = outbox.get(error.client_id);
    outbox.remove(error.client_id);
    messages.removePending(error.client_id);
    if (item) composer.restore(item.text);
  }
  if (error.event === "edit_message") messages.editFailed();
  if (error.event === "history") older.done();
  if (error.event === "kick_member" || error.event === "delete_message") {
    members.enableKick();
    messages.enableDelete();
  }
  if (error.code === Code.RATE_LIMITED) {
    const reason = controls.slowMode > 0 && !state.owner ? `Slow mode is on (${controls.slowMode} s).` : "You are sending too fast.";
    composer.waitFor(error.retry_after ?? 1, reason);
    return;
  }
  if (error.event === "join_room") {
    if (error.code === Code.ROOM_NOT_FOUND) {
      composer.showError(`${error.message} Pick another room from the list or go back to the lobby.`);
    } else if (error.code === Code.BANNED) {
      removedFromRoom(error.message);
    } else {
      composer.showError(error.message);
    }
    return;
  }
  composer.showError(error.message);
});

// --- older history ---------------------------------------------------------

const older = new OlderHistory($("load-older"), scroller, () => {
  if (store.oldestId === null) return false;
  socket.send("history", { before_id: store.oldestId, limit: 50 });
  return true;
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
