// The edit and delete controls on each message: offered by what the store
// says this person may do (edit only within the edit window), handled here,
// the inline editor opened from them.

import { InlineEditor } from "./editor.js";
import { renderActions } from "./render.js";

export class MessageActions {
  // rows: the message list's id → <li> map (read only here).
  // onEdit(id, text), onDelete(id): ask the server.
  constructor(list, store, rows, { maxLength, onEdit, onDelete }) {
    this.list = list;
    this.store = store;
    this.rows = rows;
    this.onDelete = onDelete;
    this.editor = new InlineEditor({ maxLength, onSave: onEdit });
    list.addEventListener("click", (e) => this.onClick(e));
  }

  render(id) {
    const li = this.rows.get(id);
    const message = this.store.get(id);
    if (li && message) renderActions(li, { canEdit: this.store.canEdit(message), canDelete: this.store.canDelete(message) });
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
    } else if (button.classList.contains("msg-delete-button")) {
      button.disabled = true;
      this.onDelete(id);
    }
  }

  // A delete the server refused: its button works again.
  enableDelete() {
    for (const button of this.list.querySelectorAll("button.msg-delete-button:disabled")) button.disabled = false;
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
