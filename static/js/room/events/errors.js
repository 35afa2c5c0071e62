// `error` events: something this page sent was refused. Undo what the page
// did in hope (an unsent message, a disabled button, an open editor), then
// tell the person.

import { Code } from "../../protocol.js";
import { removeFromRoom } from "./removal.js";

export function bindErrors(chat) {
  const { socket, session, sender, messages, members, older, controls, composer } = chat;

  socket.on("error", (error) => {
    if (error.client_id) sender.refused(error.client_id);
    if (error.event === "edit_message") messages.editFailed();
    if (error.event === "history") older.done();
    if (error.event === "kick_member" || error.event === "delete_message") {
      members.enableKick();
      messages.enableDelete();
    }
    if (error.code === Code.RATE_LIMITED) {
      const reason = controls.slowMode > 0 && !session.owner ? `Slow mode is on (${controls.slowMode} s).` : "You are sending too fast.";
      composer.waitFor(error.retry_after ?? 1, reason);
      return;
    }
    if (error.event === "join_room") {
      if (error.code === Code.ROOM_NOT_FOUND) {
        composer.showError(`${error.message} Pick another room from the list or go back to the lobby.`);
      } else if (error.code === Code.BANNED) {
        removeFromRoom(chat, error.message);
      } else {
        composer.showError(error.message);
      }
      return;
    }
    composer.showError(error.message);
  });
}
