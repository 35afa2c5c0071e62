// Who is here: the member list and who is typing.

// A member_list or a join_confirm: names in arrival order, which are accounts, their avatars.
export function showMembers(chat, { members: names = [], accounts = [], avatars = {} }) {
  const { members, session } = chat;
  members.show(names, session.username, { owner: session.owner, accounts, avatars });
  chat.newDirect.refresh(); // an open "New conversation" lists who is here now
}

export function bindPresence(chat) {
  const { socket, session, typing } = chat;

  socket.on("member_list", (data) => {
    if (session.isJoined(data.room)) showMembers(chat, data);
  });

  socket.on("profile", (card) => {
    if (session.isJoined(card.room)) chat.profiles.show(card);
  });

  socket.on("typing", (data) => {
    if (session.isJoined(data.room) && data.username !== session.username) typing.typing(data.username);
  });

  // Whoever left stops typing (events/messages.js shows the notice itself).
  socket.on("system_message", (data) => {
    if (data.kind === "leave") typing.stopped(data.username);
  });
}
