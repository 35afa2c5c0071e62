// Room state (locked, slow mode) for everyone, and the owner's controls:
// lock/unlock, slow mode, and removing a member (the member list's "Remove").

import { el } from "./dom.js";

export function describeState({ locked, slowMode }) {
  const parts = [];
  if (locked) parts.push("Locked: only the room's owner can post");
  if (slowMode > 0) parts.push(`Slow mode ${slowMode} s: one message every ${slowMode} s each`);
  return parts.join(" · ");
}

export class RoomControls {
  constructor({ stateNode, ownerBox, lockButton, slowSelect, send }) {
    this.stateNode = stateNode;
    this.ownerBox = ownerBox;
    this.lockButton = lockButton;
    this.slowSelect = slowSelect;
    this.send = send;
    this.locked = false;
    this.slowMode = 0;
    this.owner = false;
    lockButton.addEventListener("click", () => this.send("lock_room", { locked: !this.locked }));
    slowSelect.addEventListener("change", () => this.send("set_slow_mode", { seconds: Number(slowSelect.value) }));
  }

  kick(username) {
    this.send("kick_member", { username });
  }

  setOwner(owner) {
    this.owner = Boolean(owner);
    this.ownerBox.hidden = !this.owner;
  }

  setState({ locked, slow_mode: slowMode }) {
    this.locked = Boolean(locked);
    this.slowMode = Number(slowMode) || 0;
    const text = describeState({ locked: this.locked, slowMode: this.slowMode });
    this.stateNode.textContent = text;
    this.stateNode.hidden = !text;
    this.stateNode.dataset.locked = String(this.locked);
    this.lockButton.setAttribute("aria-pressed", String(this.locked));
    this.lockButton.textContent = this.locked ? "Unlock room" : "Lock room";
    const value = String(this.slowMode);
    if (![...this.slowSelect.options].some((o) => o.value === value)) {
      this.slowSelect.append(el("option", { text: `${value} s`, attrs: { value } }));
    }
    this.slowSelect.value = value;
  }

  // Out of the room: its state and its controls are no longer ours to see.
  reset() {
    this.setOwner(false);
    this.setState({ locked: false, slow_mode: 0 });
  }

  // Nobody may post for now (unless they own the room)?
  get readOnly() {
    return this.locked && !this.owner;
  }
}
