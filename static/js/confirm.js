// A question before something that cannot be undone, in the page's native
// modal <dialog>: showModal() keeps focus inside and makes the rest of the page
// inert. Enter on the focused confirm button confirms, Esc (the dialog's own
// "cancel"), the Cancel button or a click on the backdrop cancels; focus then
// goes back where the person was.
//
// The dialog's markup is the template's: a <form method="dialog"> holding
// [data-title], [data-quote], [data-detail] and two submit buttons, whose
// values "cancel" and "confirm" become the dialog's returnValue.

export class ConfirmDialog {
  constructor(dialog) {
    this.dialog = dialog;
    this.titleNode = dialog.querySelector("[data-title]");
    this.quoteNode = dialog.querySelector("[data-quote]");
    this.detailNode = dialog.querySelector("[data-detail]");
    this.confirmButton = dialog.querySelector('button[value="confirm"]');
    this.settle = null;
    dialog.addEventListener("close", () => this.closed());
    // A click on the backdrop reaches the dialog itself (the form fills the box).
    dialog.addEventListener("click", (e) => {
      if (e.target === dialog) dialog.close("cancel");
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  // Resolves true if the person confirmed. returnFocus() gives the element to
  // focus afterwards (looked up then: the one that asked may have been redrawn).
  ask({ title, quote = "", detail = "", returnFocus }) {
    if (this.dialog.open) return Promise.resolve(false); // one question at a time
    this.titleNode.textContent = title;
    this.quoteNode.textContent = quote;
    this.quoteNode.hidden = !quote;
    this.detailNode.textContent = detail;
    this.returnFocus = returnFocus;
    this.dialog.returnValue = ""; // it keeps the last answer otherwise
    this.dialog.showModal();
    this.confirmButton.focus();
    return new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  // What was asked about went away: close without confirming.
  dismiss() {
    if (this.dialog.open) this.dialog.close("cancel");
  }

  closed() {
    const settle = this.settle;
    this.settle = null;
    this.returnFocus?.()?.focus();
    settle?.(this.dialog.returnValue === "confirm");
  }
}
