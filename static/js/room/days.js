// Day separators in the message list: one before the first message or notice
// of each local day, labelled "Today", "Yesterday" or the date.

import { dayLabel, el } from "../dom.js";

export class DaySeparators {
  constructor(list) {
    this.list = list;
  }

  // Only missing separators are added and stale ones removed, so the live
  // region is not re-announced.
  fix() {
    const keep = new Set();
    let lastDay = null;
    for (const node of [...this.list.children]) {
      if (!node.classList.contains("msg") && !node.classList.contains("notice")) continue;
      const day = node.dataset.day;
      if (!day || day === lastDay) continue;
      lastDay = day;
      let separator = node.previousElementSibling;
      if (!(separator?.classList.contains("day-separator") && separator.dataset.dayOf === day)) {
        separator = el(
          "li",
          { className: "day-separator", attrs: { "data-day-of": day } },
          el("span", { className: "day-label", text: dayLabel(day) }),
        );
        this.list.insertBefore(separator, node);
      }
      delete separator.dataset.before;
      delete separator.dataset.beforeNotice;
      if (node.dataset.id !== undefined) separator.dataset.before = node.dataset.id;
      else if (node.dataset.after !== undefined) separator.dataset.beforeNotice = node.dataset.after;
      keep.add(separator);
    }
    for (const separator of this.list.querySelectorAll(".day-separator")) if (!keep.has(separator)) separator.remove();
  }

  // The common case, a new message at the end: compare it with the message
  // before it only; anything else gets the full pass.
  fixAround(node) {
    let next = node.nextElementSibling;
    while (next && !next.classList.contains("msg")) next = next.nextElementSibling;
    let previous = node.previousElementSibling;
    while (previous && !previous.classList.contains("msg") && !previous.classList.contains("day-separator")) {
      previous = previous.previousElementSibling;
    }
    if (next || !previous) {
      this.fix();
      return;
    }
    const day = node.dataset.day;
    if (previous.classList.contains("day-separator") ? previous.dataset.dayOf !== day : previous.dataset.day !== day) {
      this.fix();
    }
  }

  // "Today" becomes "Yesterday" at midnight.
  relabel() {
    for (const separator of this.list.querySelectorAll(".day-separator")) {
      const label = separator.querySelector(".day-label");
      const text = dayLabel(separator.dataset.dayOf);
      if (label.textContent !== text) label.textContent = text;
    }
  }
}
