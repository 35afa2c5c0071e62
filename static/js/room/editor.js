// Editing a message in place: a textarea under the message, Enter saves,
// Esc cancels; the server's message_updated (or error) closes it.

import { el } from "../dom.js";
import { convertShortcodes } from "../emoji.js";
import { bodyOf, focusActions } from "./render.js";

export class InlineEditor {
  // onSave(id, text): ask the server to change the message.
  constructor({ maxLength, onSave }) {
    this.maxLength = maxLength;
    this.onSave = onSave;
  }

  // `message` is the stored message itself, so an edit arriving meanwhile is seen.
  open(li, message) {
    const existing = li.querySelector(".msg-edit-field");
    if (existing) {
      existing.focus();
      return;
    }
    const field = el("textarea", {
      className: "msg-edit-field",
      attrs: { "aria-label": "Edit message", rows: "2", maxlength: String(this.maxLength || 2000) },
    });
    field.value = message.text;
    const hint = el("p", { className: "msg-edit-hint", text: "Enter to save · Esc to cancel" });
    const editor = el("div", { className: "msg-editor" }, field, hint);
    bodyOf(li).hidden = true;
    li.append(editor);
    field.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.close(li, { focus: true });
      } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        const text = convertShortcodes(field.value).trim();
        if (!text) {
          hint.textContent = "A message cannot be empty. Delete it instead, or Esc to cancel.";
        } else if (text === message.text) {
          this.close(li, { focus: true });
        } else {
          editor.dataset.saving = "";
          hint.textContent = "Saving…";
          this.onSave(message.id, text);
        }
      }
    });
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  }

  close(li, { focus }) {
    const editor = li.querySelector(".msg-editor");
    if (!editor) return;
    editor.remove();
    bodyOf(li).hidden = false;
    if (focus) focusActions(li);
  }

  // An edit the server refused: let the person try again.
  failed(list) {
    for (const hint of list.querySelectorAll(".msg-editor[data-saving] .msg-edit-hint")) {
      hint.closest(".msg-editor").removeAttribute("data-saving");
      hint.textContent = "Not saved. Enter to try again · Esc to cancel";
    }
  }
}
