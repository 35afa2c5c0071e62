// Reactions under a message: a chip per emoji (emoji + count, pressed when one
// of them is mine, who reacted on hover or focus), a click adds or removes mine,
// and "React" opens a quick row of common emoji plus the full picker. Which
// reaction is mine: its `authors` hold my author token (docs/protocol.md).

import { el } from "../dom.js";
import { newPicker } from "../emoji.js";

// As the picker's data writes them (with U+FE0F where it has one), so a chip and the picker agree.
export const QUICK_EMOJI = ["👍\uFE0F", "❤\uFE0F", "😂", "😮", "😢", "🎉"];

// "👍" and "👍️" are one emoji (the server stores the data's form).
export function sameEmoji(a, b) {
  return a.replaceAll("\uFE0F", "") === b.replaceAll("\uFE0F", "");
}

export function isMine(reaction, author) {
  return Boolean(author) && reaction.authors.includes(author);
}

export function whoText(reaction) {
  const names = reaction.names.join(", ");
  const others = reaction.count - reaction.names.length;
  return others > 0 ? `${names} and ${others} ${others === 1 ? "other" : "others"}` : names;
}

// Draw a message's reactions into its row (replacing what was there, keeping the focus on its chip).
export function renderReactions(li, message, author) {
  const box = li.querySelector(".msg-reactions");
  if (!box) return;
  const focused = box.contains(document.activeElement) ? document.activeElement.dataset.emoji : null;
  const chips = (message.reactions || []).map((reaction, index) => {
    const mine = isMine(reaction, author);
    const whoId = `who-${message.id}-${index}`;
    return el(
      "span",
      { className: "reaction-chip" },
      el(
        "button",
        {
          className: mine ? "reaction mine" : "reaction",
          attrs: {
            type: "button",
            "data-emoji": reaction.emoji,
            "aria-pressed": String(mine),
            "aria-label": `${reaction.emoji} ${reaction.count}${mine ? ", yours: remove it" : ": add yours"}`,
            "aria-describedby": whoId,
          },
        },
        el("span", { className: "reaction-emoji", text: reaction.emoji, attrs: { "aria-hidden": "true" } }),
        el("span", { className: "reaction-count", text: String(reaction.count), attrs: { "aria-hidden": "true" } }),
      ),
      el("span", { className: "reaction-who", text: `Reacted: ${whoText(reaction)}`, attrs: { id: whoId, role: "tooltip" } }),
    );
  });
  box.replaceChildren(...chips);
  box.hidden = chips.length === 0;
  if (focused) box.querySelector(`button[data-emoji="${CSS.escape(focused)}"]`)?.focus();
}

// Clicks on chips and the quick row: `toggle(id, emoji)` asks the server to add or remove mine.
export class ReactionControls {
  constructor(list, { toggle }) {
    this.list = list;
    this.toggle = toggle;
    this.picker = null;
    this.open = null; // the <li> whose quick row is open
    list.addEventListener("click", (e) => this.onClick(e));
    list.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.open && this.open.contains(e.target)) {
        e.preventDefault();
        e.stopPropagation();
        this.close({ focus: true });
      }
    });
    document.addEventListener("click", (e) => {
      if (this.open && !this.open.contains(e.target)) this.close({ focus: false });
    });
  }

  onClick(e) {
    const li = e.target.closest("li.msg");
    if (!li) return;
    const id = Number(li.dataset.id);
    const chip = e.target.closest("button.reaction, button.react-choice");
    if (chip) {
      this.toggle(id, chip.dataset.emoji);
      if (chip.classList.contains("react-choice")) this.close({ focus: true });
      return;
    }
    if (e.target.closest("button.react-more")) {
      this.showPicker(li);
      return;
    }
    if (e.target.closest("button.msg-react-button")) {
      if (this.open === li) this.close({ focus: true });
      else this.show(li);
    }
  }

  // The quick row under the message, focus on its first emoji.
  show(li) {
    this.close({ focus: false });
    const panel = el(
      "div",
      { className: "react-panel", attrs: { role: "group", "aria-label": "Pick a reaction" } },
      ...QUICK_EMOJI.map((emoji) =>
        el("button", { className: "react-choice", text: emoji, attrs: { type: "button", "data-emoji": emoji, "aria-label": `React with ${emoji}` } }),
      ),
      el("button", { className: "react-more secondary", text: "More…", attrs: { type: "button", "aria-label": "More emoji" } }),
    );
    li.append(panel);
    this.open = li;
    li.querySelector(".msg-react-button")?.setAttribute("aria-expanded", "true");
    panel.querySelector("button")?.focus();
  }

  async showPicker(li) {
    const panel = li.querySelector(".react-panel");
    if (!panel || panel.querySelector("emoji-picker")) return;
    const picker = await newPicker();
    if (this.open !== li) return; // closed while loading
    picker.classList.add("emoji-picker", "react-picker");
    const theme = document.documentElement.dataset.theme;
    picker.classList.toggle("dark", theme === "dark");
    picker.classList.toggle("light", theme === "light");
    picker.addEventListener("emoji-click", (event) => {
      if (!event.detail.unicode) return;
      this.toggle(Number(li.dataset.id), event.detail.unicode);
      this.close({ focus: true });
    });
    panel.append(picker);
    requestAnimationFrame(() => picker.shadowRoot?.querySelector("input")?.focus());
  }

  close({ focus }) {
    const li = this.open;
    if (!li) return;
    this.open = null;
    li.querySelector(".react-panel")?.remove();
    const button = li.querySelector(".msg-react-button");
    button?.setAttribute("aria-expanded", "false");
    if (focus) button?.focus();
  }
}
