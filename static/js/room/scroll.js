// Scrolling the message list: new messages stick to the bottom only when the
// reader is already there, older history loading above never moves the view,
// and a reader scrolling up to the top (or the "load older" button) asks for
// the page before the oldest message.

export class Scroller {
  constructor(node) {
    this.node = node;
  }

  nearBottom() {
    const s = this.node;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  toBottom() {
    this.node.scrollTop = this.node.scrollHeight;
  }

  // Run `change` (rows added above) without moving what the reader sees.
  keepPosition(change) {
    const before = this.node.scrollHeight;
    const top = this.node.scrollTop;
    change();
    this.node.scrollTop = top + (this.node.scrollHeight - before);
  }
}

export class OlderHistory {
  // request(): ask the server for older messages; false when there is nothing to ask from.
  constructor(button, scrollNode, request) {
    this.button = button;
    this.request = request;
    this.hasMore = false;
    this.loading = false;
    button.addEventListener("click", () => this.load());
    // Only a reader scrolling up asks for more, not a redraw that resets the position.
    let lastScrollTop = 0;
    scrollNode.addEventListener("scroll", () => {
      const top = scrollNode.scrollTop;
      if (top < 60 && top < lastScrollTop) this.load();
      lastScrollTop = top;
    });
  }

  // Also shows or hides the button: call it inside keepPosition when older rows arrive.
  setHasMore(hasMore) {
    this.hasMore = Boolean(hasMore);
    this.button.hidden = !this.hasMore;
  }

  load() {
    if (this.loading || !this.hasMore) return;
    if (this.request() === false) return;
    this.loading = true;
  }

  // The page arrived, or the server refused the request.
  done() {
    this.loading = false;
  }
}
