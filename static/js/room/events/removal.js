// Removed from the room: kicked, banned, the room closed, or the socket cut
// off for good. Say so, stop posting, offer the lobby.

import { Close } from "../../protocol.js";
import { showMembers } from "./presence.js";

export function removeFromRoom(chat, text) {
  const { session, typing, page, composer, messages, controls } = chat;
  session.leave();
  typing.clear();
  page.showNotice(text);
  composer.block("You are no longer in this room.");
  messages.addNotice(text, null, "removed");
  showMembers(chat, []);
  controls.setOwner(false);
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

export function bindRemoval(chat) {
  const { socket } = chat;

  socket.on("kicked", (data) => removeFromRoom(chat, data.reason || "You were removed from this room."));

  socket.on("room_closed", ({ reason }) => removeFromRoom(chat, `${closedSentence(reason)} Pick another room in the lobby.`));

  // The socket does not reconnect after these (socket.js).
  socket.on("closed", ({ code }) => {
    if (code === Close.BANNED) removeFromRoom(chat, "You are banned from chatsite.");
    else if (code === Close.FLOOD) removeFromRoom(chat, "Disconnected for sending too much at once. Reload the page to come back.");
  });
}
