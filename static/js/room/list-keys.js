// The message list is one stop in the page's Tab order, however many messages it holds:
// Tab from the header lands on the list, the next Tab on the message box. Inside the list
// the arrow keys move from message to message (Home and End to the ends), Tab walks the
// controls of the message in focus only, and Escape goes back to the message box. Shift+Tab
// from the message box is left to the browser: it reaches the newest message's controls,
// the ones people most often want (edit or delete what they just sent). Without
// this a keyboard user crossed every message's author, reaction and action buttons (four
// or more a message, hundreds in a busy room) to reach the message box. The pattern is
// the roving focus of the WAI-ARIA practices' "feed", kept here by listening to keys
// rather than by rewriting tabindex on every control the renderer makes.

const TABBABLE = "a[href], button:not([disabled]), input:not([type='hidden']), select, textarea, audio[controls], video[controls], [tabindex]:not([tabindex='-1'])";

function shown(node) {
  return node.getClientRects().length > 0 && !node.closest("[hidden], [inert]");
}

export function tabbables(root) {
  return [...root.querySelectorAll(TABBABLE)].filter(shown);
}

export class ListKeys {
  // box: the scrolling list (#messages, itself focusable); list: its <ol>;
  // next(): the element a Tab out of the list goes to (the message box).
  constructor(box, list, { next }) {
    this.box = box;
    this.list = list;
    this.next = next;
    box.addEventListener("keydown", (e) => this.onKey(e));
  }

  // The stops of the arrow keys: each message, and the "Load newer messages" button of a gap.
  messages() {
    return [...this.list.querySelectorAll("li.msg, li.history-gap > button")].filter(shown);
  }

  rowOf(node) {
    return node.closest("li.msg") || (node.matches(".history-gap > button") ? node : null);
  }

  onKey(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target;
    const row = this.rowOf(target);
    // Typing in the inline editor, or a control with keys of its own, keeps them.
    const onRowOrBox = target === this.box || target === row;
    if (e.key === "Tab") return this.onTab(e, row);
    if (e.key === "Escape" && (onRowOrBox || row)) {
      e.preventDefault();
      this.next()?.focus();
      return;
    }
    if (!onRowOrBox) return;
    const rows = this.messages();
    if (!rows.length) return;
    const at = row ? rows.indexOf(row) : -1;
    let to = null;
    if (e.key === "ArrowUp") to = at === -1 ? rows.length - 1 : Math.max(0, at - 1);
    else if (e.key === "ArrowDown") to = at === -1 ? rows.length - 1 : Math.min(rows.length - 1, at + 1);
    else if (e.key === "Home") to = 0;
    else if (e.key === "End") to = rows.length - 1;
    if (to === null) return;
    e.preventDefault();
    if (at === 0 && e.key === "ArrowUp") {
      // Past the oldest loaded message: the button that loads older ones, when there is one.
      const older = this.box.querySelector(".load-older:not([hidden])");
      if (older) older.focus();
      return;
    }
    rows[to].focus();
    rows[to].scrollIntoView({ block: "nearest" });
  }

  onTab(e, row) {
    // Inside a message, Tab steps through that message's own controls; past its last, out of the list.
    const scope = row ? tabbables(row) : [];
    const here = scope.indexOf(e.target);
    if (e.shiftKey) {
      if (e.target === this.box || (row && e.target !== row && here > 0)) return;
      e.preventDefault();
      // From a message's first control to the message; from a message (or a button of the list's own) to the list.
      if (row && e.target !== row && scope.length) row.focus();
      else this.box.focus();
      return;
    }
    if (row && here < scope.length - 1) {
      e.preventDefault();
      scope[here + 1].focus();
      return;
    }
    const out = this.next();
    if (out) {
      e.preventDefault();
      out.focus();
    }
  }
}
