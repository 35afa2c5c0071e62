// A link's card under its message (site, title, description, picture), as the server fetched it: text
// only through textContent, the picture served by chatsite with its size known before it loads (the
// list does not jump), the link opening in a new tab without telling the site who sent the reader.
// The message's author gets a small button that takes the card away for everyone (preview_remove).

import { el } from "../dom.js";

export function previewNode(preview, { removable }) {
  const link = el(
    "a",
    { className: "preview-link", attrs: { href: preview.url, target: "_blank", rel: "noopener noreferrer" } },
    preview.image
      ? el("img", {
          className: "preview-image",
          attrs: { src: preview.image.url, width: String(preview.image.width), height: String(preview.image.height), alt: "", loading: "lazy" },
        })
      : null,
    el(
      "span",
      { className: "preview-text" },
      preview.site ? el("span", { className: "preview-site", text: preview.site }) : null,
      preview.title ? el("span", { className: "preview-title", text: preview.title }) : null,
      preview.description ? el("span", { className: "preview-description", text: preview.description }) : null,
    ),
  );
  const card = el("div", { className: "msg-preview", attrs: { role: "group", "aria-label": `Link preview: ${preview.title || preview.site}` } }, link);
  if (removable) {
    card.append(
      el("button", {
        className: "preview-remove",
        text: "×",
        attrs: { type: "button", "aria-label": "Remove link preview", title: "Remove link preview" },
      }),
    );
  }
  return card;
}

// Draw (or take away) the card of `message` in its row.
export function renderPreview(li, message, { own }) {
  const slot = li.querySelector(".msg-preview-slot");
  if (!slot) return;
  slot.replaceChildren(...(message.preview ? [previewNode(message.preview, { removable: own })] : []));
}
