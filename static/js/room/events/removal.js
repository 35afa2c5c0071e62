// Removed from the room: kicked, banned, the room closed, or the socket cut
// off for good. One clear state: why, until when (in the reader's own time),
// the way out (the lobby); nothing of being in the room is left behind (no
// countdown, no edit or delete buttons, no owner controls, no unsent messages).

import { momentText } from "../../dom.js";
import { Close } from "../../protocol.js";

export function removeFromRoom(chat, text) {
  const { session, typing, page, composer, messages, controls, members, sender, older } = chat;
  const room = session.joined || session.room;
  if (room) sender.holdBack(room);
  session.leave();
  typing.clear();
  chat.gate.hide();
  page.showNotice(text);
  composer.stopWaiting();
  composer.clearError();
  composer.block("You are no longer in this room.");
  messages.revokePermissions();
  messages.addNotice(text, null, "removed");
  members.showOutside("You are not in this room.");
  controls.reset();
  older.setHasMore(false);
  page.focusLobby();
}

// The server's reason when the moderator gave none (rooms/services/rooms.py, room_close).
const NO_REASON = "closed by a moderator";

// A complete sentence, then the moderator's own words as a quote: never spliced into ours.
function closedSentence(reason) {
  const words = (reason || "").trim();
  if (!words || words.toLowerCase() === NO_REASON) return "A moderator closed this room.";
  return `A moderator closed this room: \u201c${words}\u201d.`;
}

// "You are banned from <where> until <local time>." and the moderator's words, quoted.
// `until` null: the ban has no end. Built from the payload's fields, so the
// time is the reader's, not the UTC of the server's sentence.
export function bannedSentence(where, { until, note }) {
  const end = until ? ` until ${momentText(until)}.` : ". The ban has no end date.";
  const words = (note || "").trim();
  return `You are banned from ${where}${end}${words ? ` The moderator\u2019s note: \u201c${words}\u201d.` : ""}`;
}

function kickedText(data) {
  if (data.note !== undefined) return `${bannedSentence("this room", data)} You can still chat in other rooms.`;
  const why = data.reason || "You were removed from this room.";
  return data.until ? `${why} You can come back after ${momentText(data.until)}.` : why;
}

// Banned from the whole site: the error comes first (with the ban's end and
// note), then the socket closes with Close.BANNED and is not reconnected.
export function bannedFromSite(chat, error) {
  chat.page.showBanned();
  removeFromRoom(chat, bannedSentence("chatsite", error));
  chat.session.siteBanned = true;
}

export function bindRemoval(chat) {
  const { socket, session, page } = chat;

  socket.on("kicked", (data) => removeFromRoom(chat, kickedText(data)));

  socket.on("room_closed", ({ reason }) => removeFromRoom(chat, `${closedSentence(reason)} Pick another room in the lobby.`));

  // The socket does not reconnect after these (socket.js).
  socket.on("closed", ({ code }) => {
    if (code === Close.BANNED) {
      page.showBanned();
      if (!session.siteBanned) removeFromRoom(chat, "You are banned from chatsite."); // the error frame never came
    } else if (code === Close.FLOOD) {
      removeFromRoom(chat, "Disconnected for sending too much at once. Reload the page to come back.");
    } else if (code === Close.TOO_MANY_SOCKETS) {
      // Retrying would only be refused again while the other tabs stay open.
      removeFromRoom(chat, "chatsite is open in too many tabs; close some and reload this page.");
    }
  });
}
