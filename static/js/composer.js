// The message box: Enter sends, Shift+Enter starts a new line, nothing typed is lost.

export class Composer {
  constructor(form, input, errorNode, onSend) {
    this.form = form;
    this.input = input;
    this.errorNode = errorNode;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit(onSend);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit(onSend);
      }
    });
    input.addEventListener("input", () => this.autosize());
  }

  submit(onSend) {
    const text = this.input.value;
    if (!text.trim()) {
      this.showError("Type a message first.");
      return;
    }
    if (onSend(text) !== false) {
      this.input.value = "";
      this.autosize();
      this.clearError();
    }
  }

  restore(text) {
    if (!this.input.value.trim()) this.input.value = text;
    else if (!this.input.value.includes(text)) this.input.value = `${text}\n${this.input.value}`;
    this.autosize();
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  showError(message) {
    this.errorNode.textContent = message;
  }

  clearError() {
    this.errorNode.textContent = "";
  }
}
