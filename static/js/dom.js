// Small DOM helpers. User text only ever goes in through textContent.

// The mark next to a name that belongs to an account, so "ann" the account and a guest are never mistaken.
export function accountBadge() {
  return el(
    "span",
    { className: "account-badge", attrs: { title: "Signed-in account" } },
    el("span", { text: "\u2713", attrs: { "aria-hidden": "true" } }),
    el("span", { className: "visually-hidden", text: " (account)" }),
  );
}

// A person's picture: their avatar where they have one (an account), else their
// initials on a colour that follows from their name, so the same guest looks the
// same to everyone. Decorative: the name always stands beside it.
const AVATAR_COLOURS = 12;

export function avatarElement(name, url, size = 24) {
  if (url) {
    return el("img", { className: "avatar", attrs: { src: url, alt: "", width: String(size), height: String(size), loading: "lazy", decoding: "async" } });
  }
  // The letters come from CSS (attr()), so they are never part of the text around them (a member's name, a copied message).
  const node = el("span", { className: `avatar avatar-initials avatar-c${colourOf(name)}`, attrs: { "aria-hidden": "true", "data-initials": initials(name) } });
  node.style.setProperty("--avatar-size", `${size}px`);
  return node;
}

// "ann lee" → "AL", "zoë" → "Z", "😀 fan" → "😀F": whole characters, never half an emoji.
export function initials(name) {
  const words = String(name).trim().split(/\s+/).filter(Boolean);
  const first = (word) => {
    const [segment] = new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(word);
    return segment ? segment.segment.toLocaleUpperCase() : "";
  };
  return words.slice(0, 2).map(first).join("") || "?";
}

function colourOf(name) {
  let hash = 2166136261; // FNV-1a over UTF-16 units: cheap, and the same in every browser
  for (let i = 0; i < name.length; i += 1) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return (hash >>> 0) % AVATAR_COLOURS;
}

export function el(tag, { className, text, attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (attrs) for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

// A line icon (chat.css `.icon`), drawn from SVG path data; hidden from assistive technology, so its
// button says what it does in its own label.
const SVG = "http://www.w3.org/2000/svg";
export function iconElement(...paths) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const d of paths) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

export function readConfig(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

export function timeElement(ts) {
  const when = new Date(ts);
  return el("time", { className: "msg-time", text: timeFormat.format(when), attrs: { datetime: ts, title: fullFormat.format(when) } });
}

// A moment ahead (a ban's end) in the reader's own time zone, named: "06:00 PM EST
// today", or with the date, "Thursday, December 3 at 06:00 PM EST" (and the
// year when it is not this one).
const zoned = { hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
const momentTodayFormat = new Intl.DateTimeFormat(undefined, zoned);
const momentFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric", ...zoned });
const momentYearFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric", ...zoned });

export function momentText(ts) {
  const when = new Date(ts);
  const now = new Date();
  if (dayKey(ts) === dayKey(now.toISOString())) return `${momentTodayFormat.format(when)} today`;
  return (when.getFullYear() === now.getFullYear() ? momentFormat : momentYearFormat).format(when);
}

export function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The local calendar day of an ISO time, as "YYYY-MM-DD".
export function dayKey(ts) {
  const d = new Date(ts);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" });

// "Today", "Yesterday", or the date, for a dayKey.
export function dayLabel(key) {
  const [year, month, day] = key.split("-").map(Number);
  const date = new Date(year, month - 1, day);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (key === dayKey(today.toISOString())) return "Today";
  if (key === dayKey(yesterday.toISOString())) return "Yesterday";
  return dayFormat.format(date);
}

const QUOTE_LENGTH = 80; // characters of a message a quote shows (a question about it, a reply)

// The start of a message, on one line.
export function excerpt(text) {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(flat); // whole emoji, not halves of them
  return chars.length > QUOTE_LENGTH ? `${chars.slice(0, QUOTE_LENGTH - 1).join("").trimEnd()}…` : flat;
}
