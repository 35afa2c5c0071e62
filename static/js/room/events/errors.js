// `error` events: something this page sent was refused. Undo what the page
// did in hope (an unsent message, a disabled button, an open editor), then
// tell the person.

import { Code } from "../../protocol.js";
import { join } from "./joining.js";
import { refuseName } from "./naming.js";
import { bannedFromSite, bannedSentence, removeFromRoom } from "./removal.js";

// Joining refused: a name to change right here, a ban, or a room that is not there.
function joinRefused(chat, error) {
  if ([Code.USERNAME_TAKEN, Code.USERNAME_RESERVED, Code.INVALID_USERNAME].includes(error.code)) {
    refuseName(chat, error);
    return;
  }
  chat.gate.hide();
  if (error.code === Code.ROOM_NOT_FOUND) {
    chat.composer.showError(`${error.message} Pick another room from the list or go back to the lobby.`);
  } else {
    chat.composer.showError(error.message);
  }
}

// Not a refusal: the server could not reach its database, or is past what it
// admits (`busy`). Nothing happened; the same goes again after retry_after (a
// message stays "sending…"). A busy server's tabs spread their resends over up
// to half as long again, so they do not all come back in the same instant.
function unavailable(chat, error) {
  const { session, sender, composer } = chat;
  const jitter = error.code === Code.BUSY ? 1 + Math.random() / 2 : 1;
  const seconds = (error.retry_after ?? 2) * jitter;
  if (error.client_id) {
    sender.pause(seconds);
    return;
  }
  if (error.event === "join_room") {
    const room = session.room;
    setTimeout(() => {
      if (session.room === room) join(chat, room); // unless the person went elsewhere meanwhile
    }, seconds * 1000);
    return;
  }
  composer.showError(error.message);
}

export function bindErrors(chat) {
  const { socket, session, sender, messages, members, older, controls, composer } = chat;

  socket.on("error", (error) => {
    if (error.event === "search") {
      chat.search.refused(error);
      return;
    }
    if (error.event === "edit_message") messages.editFailed();
    if (error.event === "get_profile") chat.profiles.refused();
    if (error.event === "open_direct") {
      chat.profiles.close();
      if (chat.newDirect.refused(error)) return; // said in the dialog, next to its name field
    }
    if (error.event === "history") {
      older.done();
      chat.jumper.failed();
    }
    if (error.event === "kick_member" || error.event === "delete_message") {
      members.enableKick();
      messages.enableDelete();
    }
    if (error.code === Code.UNAVAILABLE || error.code === Code.BUSY) {
      unavailable(chat, error);
      return;
    }
    if (error.client_id) sender.refused(error.client_id);
    if (error.code === Code.BANNED) {
      // Not an answer to anything we sent: a new site ban; the socket closes next.
      if (!error.event) bannedFromSite(chat, error);
      else removeFromRoom(chat, `${bannedSentence("this room", error)} You can still chat in other rooms.`);
      return;
    }
    if (error.code === Code.RATE_LIMITED && error.event === "join_room" && chat.gate.shown) {
      chat.gate.refuse(`Too many tries at once: wait ${error.retry_after ?? 1} s, then try again.`);
      return;
    }
    if (error.code === Code.RATE_LIMITED) {
      const reason = controls.slowMode > 0 && !session.owner ? `Slow mode is on (${controls.slowMode} s).` : "You are sending too fast.";
      composer.waitFor(error.retry_after ?? 1, reason);
      return;
    }
    if (error.event === "join_room") {
      joinRefused(chat, error);
      return;
    }
    composer.showError(error.message);
  });
}
