// The member list of the current room: a "Message" button per other member
// (a direct conversation), and for the room's owner a "Remove" button. Both
// are icons with their names as labels, so a name keeps the list's width
// (one line, an ellipsis past it) however narrow the list is.

import { accountBadge, avatarElement, el, iconElement } from "./dom.js";

const MESSAGE_ICON = "M4.5 5.5h15v10h-9l-4.5 3.5v-3.5h-1.5z";
const REMOVE_ICON = "M7 7l10 10M17 7 7 17";

export class MemberList {
  // onKick(name): the owner pressed "Remove" next to a member.
  // note: where to say why there is no list (not in the room).
  // onMessage(name): open a direct conversation with that member.
  constructor(list, counter, note, { onKick, onMessage }) {
    this.list = list;
    this.counter = counter;
    this.note = note;
    this.members = [];
    this.avatars = {};
    list.addEventListener("click", (e) => {
      const direct = e.target.closest("button[data-direct]");
      if (direct) onMessage(direct.dataset.direct);
      const button = e.target.closest("button[data-kick]");
      if (!button) return;
      button.disabled = true;
      onKick(button.dataset.kick);
    });
  }

  // accounts: the members' names that are accounts (marked with a badge); avatars: {name: URL} of those with one.
  // A name opens that member's profile card (profile-card.js).
  show(members, me, { owner = false, accounts = [], avatars = {} } = {}) {
    this.members = members;
    this.avatars = avatars;
    const isAccount = new Set(accounts);
    this.list.replaceChildren(
      ...members.map((name) => {
        const li = el(
          "li",
          { className: name === me ? "member me" : "member", attrs: { "data-name": name } },
          avatarElement(name, Object.hasOwn(avatars, name) ? avatars[name] : null, 24),
          el("button", {
            className: "member-name",
            text: name,
            attrs: { type: "button", "data-profile-name": name, "aria-haspopup": "dialog", title: `About ${name}` },
          }),
        );
        if (isAccount.has(name)) li.append(accountBadge());
        if (name !== me) {
          li.append(
            el(
              "button",
              { className: "member-direct member-tool", attrs: { type: "button", "data-direct": name, "aria-label": `Message ${name}`, title: `Message ${name}` } },
              iconElement(MESSAGE_ICON),
            ),
          );
        }
        if (owner && name !== me) {
          li.append(
            el(
              "button",
              { className: "member-kick member-tool", attrs: { type: "button", "data-kick": name, "aria-label": `Remove ${name} from the room`, title: `Remove ${name} from the room` } },
              iconElement(REMOVE_ICON),
            ),
          );
        }
        return li;
      }),
    );
    this.counter.textContent = String(members.length);
    this.counter.hidden = false;
    this.note.hidden = true;
  }

  // Not in the room: who is there is not ours to see, and "0 online" would be untrue.
  showOutside(text) {
    this.members = [];
    this.avatars = {};
    this.list.replaceChildren();
    this.counter.textContent = "";
    this.counter.hidden = true;
    this.note.textContent = text;
    this.note.hidden = false;
  }

  // A removal the server refused: the buttons work again.
  enableKick() {
    for (const button of this.list.querySelectorAll("button.member-kick:disabled")) button.disabled = false;
  }
}
