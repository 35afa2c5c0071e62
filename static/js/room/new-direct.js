// "New conversation": pick several people and open a (group) direct
// conversation with them. A native modal <dialog>, the house way (confirm.js,
// profile-card.js): showModal() traps focus and makes the page inert, Esc or
// Cancel or a click on the backdrop closes it, and focus goes back to the
// button that opened it.
//
// It lists the people in the current room (not oneself, not those one
// blocks) with checkboxes, kept current while open (refresh), and takes a typed name too (an account's, or
// someone's here): the page does not judge names, the server resolves them
// as `open_direct` does, and its refusal (`member_not_found`,
// `too_many_people`, `blocked`, `direct_self`) is shown next to the field.
// Start sends `open_direct {usernames}`; `direct_opened` closes the dialog
// and the page goes there (events/direct.js), as the 1:1 "Message" does.

import { avatarElement, el } from "../dom.js";

// A conversation has at most 8 people (rooms/rules.py DIRECT_PEOPLE_MAX), the asker included.
export const OTHERS_MAX = 7;

// Names are compared as the server compares them only roughly here (case):
// enough to keep one row per name; the server decides who a name is.
const keyOf = (name) => name.trim().toLowerCase();

export class NewConversation {
  // people(): [{name, avatar}] of the current room, others only and none blocked.
  // onStart(usernames): send open_direct (false: not connected).
  // fallback: where focus goes back when the opener is out of sight (on a phone it sits in the
  // rooms drawer, which closed as the focus left it for the dialog).
  constructor({ opener, dialog, fallback }, { people, onStart }) {
    this.opener = opener;
    this.fallback = fallback;
    this.dialog = dialog;
    this.people = people;
    this.onStart = onStart;
    this.form = dialog.querySelector("form");
    this.list = dialog.querySelector("#new-direct-people");
    this.nobody = dialog.querySelector("#new-direct-nobody");
    this.limit = dialog.querySelector("#new-direct-limit");
    this.nameInput = dialog.querySelector("#new-direct-name");
    this.addButton = dialog.querySelector("#new-direct-add");
    this.errorNode = dialog.querySelector("#new-direct-error");
    this.startButton = dialog.querySelector("#new-direct-start");
    this.waiting = false; // open_direct sent, its answer not here yet

    opener.addEventListener("click", () => this.open());
    dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (e) => {
      if (e.target === dialog) dialog.close();
    });
    dialog.addEventListener("close", () => {
      this.waiting = false;
      if (!this.returnFocus) return;
      const shown = this.opener.isConnected && this.opener.getClientRects().length > 0;
      (shown ? this.opener : this.fallback)?.focus();
    });
    this.list.addEventListener("change", () => this.update());
    this.addButton.addEventListener("click", () => this.addTyped());
    this.nameInput.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault(); // Enter in the field adds the name; Start starts
      this.addTyped();
    });
    this.nameInput.addEventListener("input", () => {
      this.clearError();
      this.update();
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.start();
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  open() {
    if (this.dialog.open) return;
    this.list.replaceChildren(...this.people().map(({ name, avatar }) => this.row(name, avatar, false)));
    this.nameInput.value = "";
    this.clearError();
    this.returnFocus = true;
    this.waiting = false;
    this.update();
    this.dialog.showModal();
    (this.list.querySelector("input") || this.nameInput).focus();
  }

  // The room's members changed while the dialog is open: list them again, keeping every tick
  // (a ticked person who left stays listed, ticked: a name can still mean an account).
  refresh() {
    if (!this.dialog.open) return;
    const ticked = new Map(this.picked().map((name) => [keyOf(name), name]));
    const rows = this.people().map(({ name, avatar }) => {
      const row = this.row(name, avatar, ticked.has(keyOf(name)));
      ticked.delete(keyOf(name));
      return row;
    });
    for (const name of ticked.values()) rows.push(this.row(name, null, true));
    const focused = document.activeElement?.closest?.("li.new-direct-person")?.dataset.key;
    this.list.replaceChildren(...rows);
    if (focused) this.list.querySelector(`li[data-key="${CSS.escape(focused)}"] input`)?.focus();
    this.update();
  }

  row(name, avatar, checked) {
    const box = el("input", { attrs: { type: "checkbox", value: name } });
    box.checked = checked;
    const li = el("li", { className: "new-direct-person" }, el("label", {}, box, avatarElement(name, avatar || null, 24), el("span", { className: "new-direct-name", text: name })));
    li.dataset.key = keyOf(name);
    return li;
  }

  boxes() {
    return [...this.list.querySelectorAll("input[type=checkbox]")];
  }

  picked() {
    return this.boxes()
      .filter((box) => box.checked)
      .map((box) => box.value);
  }

  // At most OTHERS_MAX ticked: the rest are disabled, with a note saying why.
  update() {
    const count = this.picked().length;
    const full = count >= OTHERS_MAX;
    for (const box of this.boxes()) box.disabled = full && !box.checked;
    this.addButton.disabled = full;
    this.nameInput.disabled = full;
    this.limit.textContent = full ? `At most ${OTHERS_MAX} others: a conversation has at most 8 people, you included.` : count ? `${count} picked.` : "";
    this.nobody.hidden = this.boxes().length > 0;
    this.startButton.disabled = count === 0 && !this.nameInput.value.trim();
  }

  // A typed name becomes a ticked row (the server says at Start whether it is someone).
  addTyped() {
    const name = this.nameInput.value.trim();
    if (!name) return;
    const existing = this.list.querySelector(`li[data-key="${CSS.escape(keyOf(name))}"] input`);
    if (existing) {
      if (!existing.disabled) existing.checked = true;
    } else {
      if (this.picked().length >= OTHERS_MAX) return;
      this.list.append(this.row(name, null, true));
    }
    this.nameInput.value = "";
    this.clearError();
    this.update();
    this.nameInput.focus();
  }

  start() {
    if (this.waiting) return;
    const names = this.picked();
    const typed = this.nameInput.value.trim();
    if (typed && !names.some((name) => keyOf(name) === keyOf(typed))) names.push(typed);
    if (!names.length) {
      this.showError("Tick someone, or add a name.");
      return;
    }
    if (names.length > OTHERS_MAX) {
      this.showError(`At most ${OTHERS_MAX} others: a conversation has at most 8 people, you included.`);
      return;
    }
    this.clearError();
    if (!this.onStart(names)) {
      this.showError("Not connected: try again once the page says Connected.");
      return;
    }
    this.waiting = true;
    this.startButton.disabled = true;
  }

  // The socket came back (a new inbox): an open_direct sent before the drop has no answer coming.
  reconnected() {
    if (!this.waiting) return;
    this.waiting = false;
    this.update();
  }

  // direct_opened: the page goes there; the dialog's job is done (focus goes to the conversation, not back).
  opened() {
    if (!this.dialog.open) return;
    this.returnFocus = false;
    this.dialog.close();
  }

  // An error for open_direct while the dialog is open: said next to the field, in words. True if shown here.
  refused(error) {
    if (!this.dialog.open) return false;
    this.waiting = false;
    this.showError(error.message);
    this.update();
    this.nameInput.focus();
    return true;
  }

  showError(text) {
    this.errorNode.textContent = text;
    this.nameInput.setAttribute("aria-invalid", "true");
  }

  clearError() {
    this.errorNode.textContent = "";
    this.nameInput.removeAttribute("aria-invalid");
  }
}
