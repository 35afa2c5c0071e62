// Jumping to a message: a reply's original, or the message a link points at.
// One the page shows is scrolled to and lit at once; an older one is fetched
// with the history around it (`history {around_id}`), and the messages between
// it and what was loaded before become a gap that loads as the reader scrolls
// down to it (`history {after_id}`), while older ones load above as usual.

const PAGE = 50;

export class Jumper {
  constructor({ socket, store, messages, older, list, scrollNode }) {
    Object.assign(this, { socket, store, messages, older, scrollNode });
    this.target = null; // the id asked for around, until its page comes
    this.loading = new Set(); // gaps (by the id they follow) being loaded
    list.addEventListener("click", (e) => {
      const button = e.target.closest("button.load-newer");
      if (button) this.loadGap(Number(button.closest("li").dataset.gapAfter));
    });
    scrollNode.addEventListener("scroll", () => this.loadVisibleGaps());
  }

  // Show message `id`, loading it first if need be.
  go(id) {
    if (this.messages.highlight(id)) return;
    this.target = id;
    this.socket.send("history", { around_id: id, limit: PAGE });
  }

  // The page around the target came (`history` with around_id).
  arrived(data) {
    if (data.around_id !== this.target) return;
    this.target = null;
    const page = data.messages || [];
    const oldest = this.store.oldestId;
    this.messages.addPage(page);
    if (page.length) {
      const newest = page[page.length - 1].id;
      const shownAfter = [...this.store.ids()].some((id) => id > newest);
      if (data.has_newer && shownAfter) this.messages.addGap(newest);
      if (oldest === null || page[0].id < oldest) this.older.setHasMore(data.has_more);
    }
    this.messages.highlight(data.around_id);
  }

  // The page after a gap came (`history` with after_id).
  newer(data) {
    this.loading.delete(data.after_id);
    this.messages.fillGap(data.after_id, data.messages || [], data.has_newer);
  }

  // The server refused a history request (the original was removed meanwhile).
  failed() {
    this.target = null;
    this.loading.clear();
  }

  loadGap(afterId) {
    if (this.loading.has(afterId) || !this.messages.gaps.has(afterId)) return;
    this.loading.add(afterId);
    this.socket.send("history", { after_id: afterId, limit: PAGE });
  }

  // Scrolling down onto a gap loads it, as scrolling up to the top loads older messages.
  loadVisibleGaps() {
    const view = this.scrollNode.getBoundingClientRect();
    for (const [afterId, row] of this.messages.gaps) {
      const box = row.getBoundingClientRect();
      if (box.top < view.bottom + 60 && box.bottom > view.top) this.loadGap(afterId);
    }
  }
}
