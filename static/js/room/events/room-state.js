// The room's state for everyone: locked or open, slow mode.

// Locked rooms are read-only for all but the owner; out of the room, nobody posts.
export function updateComposer(chat) {
  const { session, composer, controls } = chat;
  if (!session.room) return; // a removal notice already blocked it
  composer.block(controls.readOnly ? "This room is locked: only its owner can post for now." : null);
}

export function bindRoomState(chat) {
  const { socket, session, controls, messages } = chat;

  socket.on("room_state", (data) => {
    if (!session.isJoined(data.room)) return;
    const before = controls.locked;
    controls.setState(data);
    updateComposer(chat);
    if (before !== controls.locked) {
      messages.addNotice(controls.locked ? "The room is now locked." : "The room is open again.", new Date().toISOString(), "moderation");
    }
  });
}
