// The settings page: initials for an account without an avatar, a preview of
// the picture picked, and a size check before a large file is sent for nothing
// (the server checks again: chatsite/accounts/avatars.py).

import { avatarElement, readConfig } from "./dom.js";

const MAX_BYTES = readConfig("profile-config").avatarMaxBytes || Infinity;

for (const node of document.querySelectorAll("[data-initials-for]")) {
  node.replaceWith(avatarElement(node.dataset.initialsFor, null, 96));
}

const input = document.getElementById("id_avatar");
const error = document.getElementById("avatar-pick-error");
if (input && error) {
  input.addEventListener("change", () => {
    const file = input.files[0];
    const tooBig = Boolean(file) && file.size > MAX_BYTES;
    error.textContent = tooBig ? `That file is ${(file.size / 1e6).toFixed(1)} MB; a picture may be up to ${(MAX_BYTES / 1e6).toFixed(0)} MB.` : "";
    error.hidden = !tooBig;
  });
}
