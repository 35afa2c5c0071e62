// Connecting and joining: the connection state, (re)joining on every new
// connection, and what join_confirm brings (history, members, room state).

import { showMembers } from "./presence.js";
import { updateComposer } from "./room-state.js";

export function join(chat, name) {
  const { session, page, store, socket } = chat;
  if (socket.stopped) return; // closed for good (banned, flooding): the notice stays
  session.room = name;
  page.hideNotice();
  const data = { room_name: name, username: session.username };
  // Coming back to the room we were in: ask only for what we missed (messages, and reactions changed since).
  if (session.joined === name) {
    data.since_id = store.newestId;
    data.reactions_since = store.reactionsSeq;
  }
  socket.send("join_room", data);
}

export function bindJoining(chat) {
  const { socket, session, page, messages, older, controls, typing, notifier, sidebar, sender, gate, composer, store, jumper, replies } = chat;

  socket.on("state", (state) => {
    page.showConnection(state);
    if (state !== "open") typing.clear();
  });

  socket.on("connected", () => {
    if (session.room) join(chat, session.room);
  });

  // Signed up or logged in in another tab: this tab now speaks as the account, and its messages are the account's.
  socket.on("identity", (data) => {
    session.author = data.author;
    store.author = data.author;
    messages.redrawReactions();
    if (data.username) session.username = data.username;
    session.avatar = data.avatar || null;
    if (store.present) messages.setPermissions({ me: session.username, owner: session.owner, editWindow: store.editWindow });
  });

  socket.on("join_confirm", (data) => {
    const room = data.room;
    const switched = session.confirm(data);
    store.author = session.author;
    store.reactionsSeq = data.reactions_seq ?? 0;
    if (switched) replies.forget();
    messages.setPermissions({ me: session.username, owner: session.owner, editWindow: data.edit_window });
    older.setHasMore(data.has_more); // before the history, so "scroll to the newest" is exact
    if (switched || !data.resumed) messages.setHistory(data.history || []);
    else for (const m of data.history || []) messages.add(m);
    controls.setOwner(session.owner);
    controls.setState(data);
    updateComposer(chat);
    showMembers(chat, data);
    if (switched) typing.clear();
    page.showTitle(room.title);
    notifier.setTitle(`${room.title} · chatsite`);
    page.showAddress(room.name);
    sidebar.markCurrent(room);
    sender.resendAll(room.name);
    if (gate.hide()) composer.focus(); // in under the name picked there: on to writing
    // Opened from a message's link: once in, to that message.
    if (chat.focus && room.name === chat.focus.room) {
      jumper.go(chat.focus.id);
      chat.focus = null;
    }
  });

  socket.on("resync_required", () => messages.clear());

  socket.on("leave_confirm", () => {
    session.joined = null;
  });
}
