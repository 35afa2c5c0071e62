// Another tab of mine took a new name in this room: the server now posts this
// page's messages under it too (renamed), so the page speaks and rejoins under it.

export function bindRename(chat) {
  const { socket, session, store, messages } = chat;

  socket.on("renamed", ({ room, username }) => {
    if (!session.isJoined(room)) return;
    session.username = username;
    store.setPermissions({ me: username, owner: store.owner, editWindow: store.editWindow }); // mentions of me
    messages.addNotice(`You are now ${username} in this room (changed in another tab).`, null, "system");
  });
}
