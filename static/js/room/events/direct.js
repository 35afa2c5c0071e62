// The person's own stream: conversations, unread counts, read positions from
// their other devices, blocks; and marking what this page shows as read.

import { join } from "./joining.js";

// Tell the server (and so every device of this person) how far this page has read.
function markRead(chat) {
  const { socket, session, store } = chat;
  // An empty room has nothing to mark (newestId is 0 there, and the server counts ids from 1).
  if (!session.joined || !store.newestId || document.visibilityState !== "visible") return;
  if (chat.readUpTo === store.newestId && chat.readIn === session.joined) return;
  chat.readUpTo = store.newestId;
  chat.readIn = session.joined;
  socket.send("mark_read", { room: session.joined, id: store.newestId });
}

// While messages keep coming, at most one mark_read every MARK_READ_EVERY_MS: flood
// control counts every frame a page sends, and one per message read in a busy room
// would spend a tab's whole budget (and get it cut off) without the person typing.
const MARK_READ_EVERY_MS = 2000;

// What is due is fixed when each message is shown: the room may have been left by the time it goes.
function markReadSoon(chat) {
  const { session, store } = chat;
  if (document.visibilityState !== "visible" || !store.newestId) return;
  chat.readDue = { room: session.joined, id: store.newestId };
  if (chat.markReadTimer) return;
  chat.markReadTimer = setTimeout(() => {
    chat.markReadTimer = null;
    const { room, id } = chat.readDue;
    if (chat.readIn === room && chat.readUpTo >= id) return;
    chat.readUpTo = id;
    chat.readIn = room;
    chat.socket.send("mark_read", { room, id });
  }, MARK_READ_EVERY_MS);
}

// A conversation is called by its other people's names.
function showTitle(chat, room) {
  const title = chat.direct.title(room);
  if (!title) return;
  chat.page.showTitle(title);
  chat.notifier.setTitle(`${title} · chatsite`);
}

export function bindDirect(chat) {
  const { socket, session, direct, messages, notifier } = chat;

  socket.on("inbox", (inbox) => {
    direct.restore(inbox);
    chat.newDirect.reconnected();
    if (session.joined) {
      direct.markCurrent(session.joined);
      showTitle(chat, session.joined);
    }
    messages.refreshHidden();
  });

  socket.on("direct_added", (conversation) => {
    direct.added(conversation);
    if (conversation.room === session.joined) showTitle(chat, conversation.room);
  });

  // Our own open_direct: go there, without a reload.
  socket.on("direct_opened", ({ room }) => {
    chat.profiles.close();
    chat.newDirect.opened();
    if (room !== session.joined) join(chat, room);
  });

  socket.on("unread", (update) => {
    if (update.room === session.joined && update.last_read === undefined) return; // shown here: read
    direct.unread(update);
    // Only a conversation's unread names who wrote; one not paged in yet is asked for.
    if (update.username && !direct.isDirect(update.room) && !chat.asked?.has(update.room)) {
      (chat.asked ??= new Set()).add(update.room); // once: its answer lists it
      socket.send("get_conversation", { room: update.room });
    }
    if (update.username) {
      notifier.direct({ username: update.username, room: update.room, title: direct.title(update.room) });
    }
  });

  socket.on("online", (data) => direct.online(data));

  socket.on("inbox_page", (page) => direct.page(page));

  // A conversation not paged in yet (older than the list shows) that has news: list it, at the top.
  socket.on("conversation", (conversation) => direct.added(conversation));

  socket.on("block_added", (data) => {
    direct.block(data);
    messages.refreshHidden();
  });

  socket.on("reported", () => chat.composer.showStatus("Reported to the moderators. Thank you."));

  socket.on("block_removed", (data) => {
    direct.unblock(data);
    messages.refreshHidden();
  });

  socket.on("join_confirm", (data) => {
    const room = data.room;
    direct.markCurrent(room.name);
    showTitle(chat, room.name);
    if (!data.resumed) messages.markFirstUnread(data.last_read);
    markRead(chat);
  });

  socket.on("receive_message", (m) => {
    if (session.isJoined(m.room)) markReadSoon(chat);
  });

  document.addEventListener("visibilitychange", () => markRead(chat));
}
