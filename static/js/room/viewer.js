// The full picture of a thumbnail, in a modal <dialog>: keyboard-reachable,
// Escape closes it (the dialog's own behaviour), and the focus goes back to
// the thumbnail it came from.

export class ImageViewer {
  constructor(dialog, list) {
    this.dialog = dialog;
    this.img = dialog.querySelector("img");
    this.open = dialog.querySelector("a");
    this.from = null;
    list.addEventListener("click", (e) => {
      const link = e.target.closest("a[data-viewer]");
      if (!link) return;
      e.preventDefault();
      this.show(link);
    });
    dialog.addEventListener("close", () => {
      this.img.removeAttribute("src");
      this.from?.focus();
      this.from = null;
    });
    // A click on the backdrop (outside the picture and its bar) closes it too.
    dialog.addEventListener("click", (e) => {
      if (e.target === dialog) dialog.close();
    });
  }

  show(link) {
    this.from = link;
    const thumb = link.querySelector("img");
    this.img.alt = thumb?.alt || "";
    this.img.width = Number(link.dataset.width) || 0;
    this.img.height = Number(link.dataset.height) || 0;
    this.img.src = link.href;
    this.open.href = link.href;
    this.dialog.setAttribute("aria-label", thumb?.alt || "Picture");
    this.dialog.showModal();
  }
}
