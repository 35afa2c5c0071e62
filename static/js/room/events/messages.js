// Messages from the server: new, acknowledged, edited, deleted, cleared,
// their link cards and reactions, pages of history (older, or around a message and after it), and notices.

import { mentions } from "../../richtext.js";

export function bindMessages(chat) {
  const { socket, session, store, messages, older, sender, typing, notifier, jumper, replies } = chat;

  socket.on("receive_message", (m) => {
    if (!session.isJoined(m.room)) return;
    const fresh = messages.add(m);
    if (m.client_id) sender.delivered(m.client_id);
    typing.stopped(m.username);
    if (fresh && !store.isOwn(m) && !chat.direct.isBlocked(m.author)) {
      notifier.message({
        username: m.username,
        text: m.text,
        room: m.room,
        roomTitle: session.title,
        mention: mentions(m.text, session.username),
      });
    }
  });

  socket.on("ack", ({ client_id: clientId, id }) => {
    sender.delivered(clientId);
    messages.acked(clientId, id);
  });

  socket.on("message_updated", (data) => {
    if (session.isJoined(data.room)) messages.update(data);
  });

  socket.on("message_deleted", (data) => {
    if (!session.isJoined(data.room)) return;
    messages.remove(data);
    replies.forget(data.id);
  });

  socket.on("preview", (data) => {
    if (session.isJoined(data.room)) messages.setPreview(data);
  });

  socket.on("reactions", (data) => {
    if (session.isJoined(data.room)) messages.setReactions(data);
  });

  socket.on("history_cleared", (data) => {
    if (!session.isJoined(data.room)) return;
    messages.clearMessages();
    replies.forget();
    messages.addNotice("A moderator cleared the history of this room.", new Date().toISOString(), "moderation");
  });

  socket.on("history", (data) => {
    if (!session.isJoined(data.room)) return;
    if (data.around_id !== undefined) {
      jumper.arrived(data);
      return;
    }
    if (data.after_id !== undefined) {
      jumper.newer(data);
      return;
    }
    messages.prependHistory(data.messages || [], () => older.setHasMore(data.has_more));
    older.done();
  });

  socket.on("system_message", (data) => {
    if (session.isJoined(data.room)) messages.addNotice(data.text, data.ts, data.kind);
  });
}
