// The member list of the current room.

import { el } from "./dom.js";

export function renderMembers(list, counter, members, me) {
  list.replaceChildren(
    ...members.map((name) => el("li", { className: name === me ? "member me" : "member", text: name })),
  );
  counter.textContent = String(members.length);
}
