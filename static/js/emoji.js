// Emoji: `:smile:` shortcodes turned into emoji as you type, and the picker
// (emoji-picker-element, vendored under static/vendor with its data, so the
// site needs no internet). The picker's code is loaded on first use only.

const SHORTCODES = {
  smile: "😄",
  smiley: "😃",
  grin: "😁",
  grinning: "😀",
  joy: "😂",
  rofl: "🤣",
  laughing: "😆",
  wink: "😉",
  blush: "😊",
  slightly_smiling_face: "🙂",
  upside_down_face: "🙃",
  heart_eyes: "😍",
  kissing_heart: "😘",
  yum: "😋",
  stuck_out_tongue: "😛",
  thinking: "🤔",
  neutral_face: "😐",
  expressionless: "😑",
  unamused: "😒",
  roll_eyes: "🙄",
  smirk: "😏",
  relieved: "😌",
  pensive: "😔",
  sleepy: "😪",
  sleeping: "😴",
  sunglasses: "😎",
  nerd_face: "🤓",
  confused: "😕",
  worried: "😟",
  open_mouth: "😮",
  astonished: "😲",
  flushed: "😳",
  cry: "😢",
  sob: "😭",
  scream: "😱",
  angry: "😠",
  rage: "😡",
  skull: "💀",
  poop: "💩",
  clown_face: "🤡",
  ghost: "👻",
  robot: "🤖",
  wave: "👋",
  ok_hand: "👌",
  thumbsup: "👍",
  "+1": "👍",
  thumbsdown: "👎",
  "-1": "👎",
  clap: "👏",
  raised_hands: "🙌",
  pray: "🙏",
  muscle: "💪",
  point_up: "☝️",
  eyes: "👀",
  heart: "❤️",
  broken_heart: "💔",
  sparkling_heart: "💖",
  fire: "🔥",
  star: "⭐",
  sparkles: "✨",
  zap: "⚡",
  boom: "💥",
  tada: "🎉",
  confetti_ball: "🎊",
  gift: "🎁",
  rocket: "🚀",
  100: "💯",
  check: "✔️",
  white_check_mark: "✅",
  x: "❌",
  warning: "⚠️",
  question: "❓",
  exclamation: "❗",
  coffee: "☕",
  beer: "🍺",
  pizza: "🍕",
  cake: "🍰",
  sun: "☀️",
  cloud: "☁️",
  snowflake: "❄️",
  rainbow: "🌈",
  dog: "🐶",
  cat: "🐱",
  unicorn: "🦄",
  soccer: "⚽",
  basketball: "🏀",
  video_game: "🎮",
  musical_note: "🎵",
  headphones: "🎧",
  computer: "💻",
  bug: "🐛",
  bulb: "💡",
  lock: "🔒",
  key: "🔑",
  see_no_evil: "🙈",
  shrug: "🤷",
  facepalm: "🤦",
};

const SHORTCODE_PATTERN = /:([a-z0-9_+-]{1,40}):/gi;

// Replace every known `:code:` with its emoji; unknown ones stay as typed.
export function convertShortcodes(text) {
  return text.replace(SHORTCODE_PATTERN, (whole, code) => SHORTCODES[code.toLowerCase()] ?? whole);
}

// Convert shortcodes in a text field as they are typed, keeping the caret in place.
export function convertAsTyped(field) {
  field.addEventListener("input", () => {
    const { value, selectionStart } = field;
    const before = convertShortcodes(value.slice(0, selectionStart));
    const after = convertShortcodes(value.slice(selectionStart));
    if (before + after === value) return;
    field.value = before + after;
    field.setSelectionRange(before.length, before.length);
  });
}

// Put `text` at the caret (replacing a selection) and tell listeners the value changed.
export function insertAtCursor(field, text) {
  const start = field.selectionStart ?? field.value.length;
  const end = field.selectionEnd ?? start;
  field.setRangeText(text, start, end, "end");
  field.dispatchEvent(new Event("input", { bubbles: true }));
}

const VENDOR = new URL("../vendor/emoji-picker-element/", import.meta.url);

// A new picker element with the site's own data; its code is loaded on first use.
export async function newPicker() {
  const { Picker } = await import(new URL("index.js", VENDOR).href);
  return new Picker({ dataSource: new URL("data.json", VENDOR).href, locale: "en" });
}

// The picker button: opens a panel with <emoji-picker>; a chosen emoji goes in
// at the caret; Esc (or the button again) closes it and focus returns to the field.
export class EmojiPicker {
  constructor(button, panel, field) {
    this.button = button;
    this.panel = panel;
    this.field = field;
    this.picker = null;
    this.selection = null;
    button.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.close();
      }
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.isOpen) this.close();
    });
    document.addEventListener("click", (e) => {
      if (this.isOpen && !panel.contains(e.target) && !button.contains(e.target)) this.close({ focus: false });
    });
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  async open() {
    this.selection = [this.field.selectionStart, this.field.selectionEnd];
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    if (!this.picker) {
      this.picker = await newPicker();
      this.picker.classList.add("emoji-picker");
      this.picker.addEventListener("emoji-click", (e) => this.choose(e.detail.unicode));
      this.panel.append(this.picker);
    }
    // The picker follows the system theme by itself; follow the site's choice instead.
    const theme = document.documentElement.dataset.theme;
    this.picker.classList.toggle("dark", theme === "dark");
    this.picker.classList.toggle("light", theme === "light");
    // Focus the picker's search box once it has rendered.
    requestAnimationFrame(() => this.picker.shadowRoot?.querySelector("input")?.focus());
  }

  choose(emoji) {
    if (!emoji) return;
    if (this.selection) this.field.setSelectionRange(...this.selection);
    insertAtCursor(this.field, emoji);
    this.selection = [this.field.selectionStart, this.field.selectionEnd];
    this.close();
  }

  close({ focus = true } = {}) {
    if (!this.isOpen) return;
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (focus) {
      this.field.focus();
      if (this.selection) this.field.setSelectionRange(...this.selection);
    }
  }
}
