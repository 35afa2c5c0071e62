// Who is here: the member list and who is typing.

export function showMembers(chat, names, accounts = []) {
  const { members, session } = chat;
  members.show(names, session.username, { owner: session.owner, accounts });
}

export function bindPresence(chat) {
  const { socket, session, typing } = chat;

  socket.on("member_list", (data) => {
    if (session.isJoined(data.room)) showMembers(chat, data.members, data.accounts);
  });

  socket.on("typing", (data) => {
    if (session.isJoined(data.room) && data.username !== session.username) typing.typing(data.username);
  });

  // Whoever left stops typing (events/messages.js shows the notice itself).
  socket.on("system_message", (data) => {
    if (data.kind === "leave") typing.stopped(data.username);
  });
}
