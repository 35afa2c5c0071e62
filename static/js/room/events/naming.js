// Joining refused because of the display name (username_taken, invalid_username):
// the page is plainly not in the room, the composer is off until it is, and
// the name gate offers another name right there.

import { Code } from "../../protocol.js";
import { join } from "./joining.js";

const PICK = "Pick another display name to join.";

function reasonFor(error, name) {
  if (error.code === Code.USERNAME_TAKEN) return `Someone in this room is already called \u201c${name}\u201d.`;
  if (error.code === Code.USERNAME_RESERVED) return `\u201c${name}\u201d is the name of an account. Log in, or pick another name.`;
  return error.message;
}

// Out of every room now: a failed switch has left the room we were in (the server leaves it first).
function standOutside(chat) {
  const { session, sender, typing, composer, messages, members, controls, older, page, sidebar } = chat;
  const switched = session.joined !== null && session.joined !== session.room;
  sender.holdBack(session.room);
  session.joined = null;
  session.owner = false;
  typing.clear();
  page.hideNotice();
  composer.stopWaiting();
  composer.clearError();
  composer.block("Join the room to write: pick a display name above.");
  if (switched) {
    messages.clear();
    page.showTitle(sidebar.titleOf(session.room) || session.room);
    page.showAddress(session.room);
    sidebar.markCurrent(session.room);
  }
  messages.revokePermissions();
  members.showOutside("Join the room to see who is here.");
  controls.reset();
  older.setHasMore(false);
}

export function refuseName(chat, error) {
  const { session, gate } = chat;
  const taken = error.code === Code.USERNAME_TAKEN || error.code === Code.USERNAME_RESERVED;
  const why = reasonFor(error, session.username || "");
  standOutside(chat);
  if (gate.shown) {
    gate.refuse(why); // a name tried in the gate: the answer goes next to the field
    return;
  }
  gate.show(`You are not in this room yet. ${taken ? `${why} ` : ""}${PICK}`, session.username || "");
  if (!taken) gate.refuse(why);
}

// The gate's field: try the room again under the name picked there.
export function joinAs(chat, name) {
  const { session, socket } = chat;
  if (!socket.isOpen || !session.room) return false;
  session.username = name;
  join(chat, session.room);
  return true;
}
