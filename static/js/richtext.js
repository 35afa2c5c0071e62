// Message text to DOM nodes: safe links, @mentions of me, emoji-only detection.
// Everything is built with createElement/textContent; nothing is parsed as HTML.

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'"*_~]+$/;
const EMOJI_GRAPHEME = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[#*0-9]\uFE0F?\u20E3)/u;
const segmenter = typeof Intl.Segmenter === "function" ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

// Cut a URL where prose punctuation starts: "see https://x.org/a." links
// "https://x.org/a"; a closing parenthesis stays only when the URL opened one.
function trimUrl(raw) {
  let url = raw.replace(TRAILING_PUNCTUATION, "");
  while (url.endsWith(")") && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length) {
    url = url.slice(0, -1).replace(TRAILING_PUNCTUATION, "");
  }
  return url;
}

// Only http and https become links; the browser's URL parser has the last word.
export function safeHref(candidate) {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// "@ann" anywhere, any case, not followed by more name characters.
export function mentionPattern(name) {
  if (!name) return null;
  return new RegExp(`(^|[^\\p{L}\\p{N}_])(@${escapeRegExp(name)})(?![\\p{L}\\p{N}_-])`, "giu");
}

export function mentions(text, name) {
  const pattern = mentionPattern(name);
  return pattern ? pattern.test(text) : false;
}

function appendMentions(parent, text, pattern) {
  if (!pattern) {
    parent.append(text);
    return;
  }
  pattern.lastIndex = 0;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const start = match.index + match[1].length;
    if (start > last) parent.append(text.slice(last, start));
    const mark = document.createElement("mark");
    mark.className = "mention";
    mark.textContent = match[2];
    parent.append(mark);
    last = start + match[2].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

// Fill `parent` with `text`: http(s) links as <a>, mentions of `me` as <mark>.
export function renderText(parent, text, me) {
  parent.replaceChildren();
  const pattern = mentionPattern(me);
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = trimUrl(match[0]);
    const href = safeHref(url);
    if (!href) continue;
    if (match.index > last) appendMentions(parent, text.slice(last, match.index), pattern);
    const link = document.createElement("a");
    link.href = href;
    link.textContent = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    parent.append(link);
    last = match.index + url.length;
  }
  if (last < text.length) appendMentions(parent, text.slice(last), pattern);
}

// 1 to 3 emoji and nothing else (spaces between them allowed): shown large.
export function isEmojiOnly(text) {
  const compact = text.replace(/\s+/g, "");
  if (!compact || compact.length > 40 || !segmenter) return false;
  const graphemes = Array.from(segmenter.segment(compact), (s) => s.segment);
  return graphemes.length <= 3 && graphemes.every((g) => EMOJI_GRAPHEME.test(g));
}
