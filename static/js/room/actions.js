// The controls on each message: react, reply and copy link, and edit and
// delete as the store says this person may (edit only within the edit window),
// handled here (reactions.js handles React), the inline editor opened from them. Deleting asks first (confirm.js): it
// cannot be undone, and Delete sits right next to Edit.

import { excerpt } from "../dom.js";
import { InlineEditor } from "./editor.js";
import { renderActions } from "./render.js";

export class MessageActions {
  // rows: the message list's id → <li> map (read only here).
  // onEdit(id, text), onDelete(id): ask the server; confirm: a ConfirmDialog;
  // onFocusLost(): the message asked about went away while the question was open.
  // onReply(message), onCopyLink(id, button): the other two controls.
  constructor(list, store, rows, { maxLength, onEdit, onDelete, confirm, onFocusLost, onReply, onCopyLink }) {
    this.list = list;
    this.onReply = onReply;
    this.onCopyLink = onCopyLink;
    this.store = store;
    this.rows = rows;
    this.onDelete = onDelete;
    this.confirm = confirm;
    this.onFocusLost = onFocusLost;
    this.asking = null; // the id the delete question is about
    this.editor = new InlineEditor({ maxLength, onSave: onEdit });
    list.addEventListener("click", (e) => this.onClick(e));
  }

  render(id) {
    const li = this.rows.get(id);
    const message = this.store.get(id);
    if (li && message) {
      renderActions(li, { canEdit: this.store.canEdit(message), canDelete: this.store.canDelete(message), canReact: this.store.present });
    }
  }

  renderAll() {
    for (const id of this.rows.keys()) this.render(id);
  }

  onClick(e) {
    const button = e.target.closest("button.msg-action");
    if (!button) return;
    const id = Number(button.closest("li.msg").dataset.id);
    if (button.classList.contains("msg-edit-button")) {
      const li = this.rows.get(id);
      const message = this.store.get(id);
      if (li && message) this.editor.open(li, message);
    } else if (button.classList.contains("msg-delete-button") && button.getAttribute("aria-disabled") !== "true") {
      this.askToDelete(id);
    } else if (button.classList.contains("msg-reply-button")) {
      const message = this.store.get(id);
      if (message) this.onReply?.(message);
    } else if (button.classList.contains("msg-link-button")) {
      this.onCopyLink?.(id, button);
    }
  }

  async askToDelete(id) {
    const message = this.store.get(id);
    if (!message) return;
    const own = this.store.isOwn(message);
    this.asking = id;
    const confirmed = await this.confirm.ask({
      title: own ? "Delete your message?" : `Delete ${message.username}’s message?`,
      quote: excerpt(message.text),
      detail: own
        ? "It disappears for everyone in the room. This can’t be undone."
        : "Everyone in the room will see “Message removed by a moderator” in its place. This can’t be undone.",
      returnFocus: () => {
        const button = this.deleteButton(id);
        if (!button) this.onFocusLost?.();
        return button;
      },
    });
    this.asking = null;
    const button = this.deleteButton(id);
    if (!confirmed || !button || !this.store.get(id)) return;
    // Not `disabled`: a disabled button drops the focus; it stays here until the message goes.
    button.setAttribute("aria-disabled", "true");
    this.onDelete(id);
  }

  deleteButton(id) {
    return this.rows.get(id)?.querySelector(".msg-delete-button") ?? null;
  }

  // The message went (deleted elsewhere, removed by a moderator, the list cleared):
  // a question about it is no longer asked. Without an id: whatever was asked.
  gone(id) {
    if (this.asking !== null && (id === undefined || id === this.asking)) this.confirm.dismiss();
  }

  // A delete the server refused: its button works again.
  enableDelete() {
    for (const button of this.list.querySelectorAll('button.msg-delete-button[aria-disabled="true"]')) button.removeAttribute("aria-disabled");
  }

  // The message changed under the editor: close it (keeping the focus in the row).
  closeEditor(li, { focus }) {
    this.editor.close(li, { focus });
  }

  closeAll() {
    for (const li of this.rows.values()) this.editor.close(li, { focus: false });
  }

  editFailed() {
    this.editor.failed(this.list);
  }
}
