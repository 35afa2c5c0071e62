// Not in the room yet because of the display name (someone here has it, or
// the server does not allow it): say so plainly, and offer a field to pick
// another name right there. Enter in the field joins; the server's answer to
// a name tried here is shown next to the field and announced.

export class NameGate {
  // onName(name): try to join with it; false when it could not even be asked.
  constructor({ form, text, input, button, error }, { onName }) {
    Object.assign(this, { form, text, input, button, error, onName });
    this.trying = false;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  get shown() {
    return !this.form.hidden;
  }

  // Why we are not in; `name` fills the field the first time it shows.
  show(reason, name) {
    const first = !this.shown;
    this.form.hidden = false;
    this.text.textContent = reason; // after showing it, so the alert is announced
    if (!first) return;
    this.input.value = name || "";
    this.clearError();
    this.input.focus();
    this.input.select();
  }

  // The name tried here was refused too (or could not be sent): why, next to the field.
  refuse(message) {
    const mine = this.trying;
    this.ready();
    this.error.textContent = message;
    this.input.setAttribute("aria-invalid", "true");
    if (mine) {
      this.input.focus();
      this.input.select();
    }
  }

  submit() {
    const name = this.input.value.trim();
    if (!name) {
      this.trying = true;
      this.refuse("Type a display name first.");
      return;
    }
    this.clearError();
    this.trying = true;
    this.button.disabled = true;
    this.button.textContent = "Joining…";
    if (this.onName(name) === false) this.refuse("Not connected right now: try again in a moment.");
  }

  ready() {
    this.trying = false;
    this.button.disabled = false;
    this.button.textContent = "Join";
  }

  clearError() {
    this.error.textContent = "";
    this.input.removeAttribute("aria-invalid");
  }

  // In the room (or out of it for another reason): the gate goes. True if it was shown.
  hide() {
    const was = this.shown;
    this.ready();
    this.form.hidden = true;
    return was;
  }
}
