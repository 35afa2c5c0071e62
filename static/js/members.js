// The member list of the current room; the room's owner gets a "Remove" button per member.

import { el } from "./dom.js";

export function renderMembers(list, counter, members, me, { owner = false } = {}) {
  list.replaceChildren(
    ...members.map((name) => {
      const li = el("li", { className: name === me ? "member me" : "member", attrs: { "data-name": name } }, el("span", { className: "member-name", text: name }));
      if (owner && name !== me) {
        li.append(
          el("button", {
            className: "member-kick link-button",
            text: "Remove",
            attrs: { type: "button", "data-kick": name, "aria-label": `Remove ${name} from the room` },
          }),
        );
      }
      return li;
    }),
  );
  counter.textContent = String(members.length);
}
