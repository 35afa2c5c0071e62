// Files for the next message: picked with the button, dropped onto the room or
// pasted. Each goes up at once over HTTP (the socket carries only its id), with
// a progress bar and a cancel button; a refusal says why next to the file, and
// the message can still go without it.

import { el } from "../dom.js";
import { Code } from "../protocol.js";

// A server process busy with other uploads (429 uploads_busy) is asked again after its Retry-After, this often at most.
const BUSY_RETRIES = 5;

export function sizeText(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(0)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export class Uploads {
  // url: where to POST (the room's /attachments/); csrfToken: Django's, for that POST.
  constructor({ button, picker, tray, dropZone, input, url, csrfToken, maxBytes, maxFiles, onChange }) {
    Object.assign(this, { tray, input, url, csrfToken, maxBytes, maxFiles, onChange });
    this.items = []; // {file, row, xhr, attachment, failed}
    button.addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      this.add([...picker.files]);
      picker.value = "";
    });
    dropZone.addEventListener("dragover", (e) => {
      if (![...(e.dataTransfer?.types || [])].includes("Files")) return;
      e.preventDefault();
      dropZone.classList.add("dropping");
    });
    dropZone.addEventListener("dragleave", (e) => {
      if (!dropZone.contains(e.relatedTarget)) dropZone.classList.remove("dropping");
    });
    dropZone.addEventListener("drop", (e) => {
      dropZone.classList.remove("dropping");
      if (!e.dataTransfer?.files?.length) return;
      e.preventDefault();
      this.add([...e.dataTransfer.files]);
    });
    input.addEventListener("paste", (e) => {
      const files = [...(e.clipboardData?.files || [])];
      if (!files.length) return;
      e.preventDefault(); // a pasted picture is a file, not its name as text
      this.add(files);
    });
  }

  // voice: a recorded note, with its duration (seconds); onDone: called once it is uploaded.
  add(files, { voice = false, duration = null, onDone = null } = {}) {
    for (const file of files) {
      if (this.items.filter((i) => !i.failed).length >= this.maxFiles) {
        this.failed(this.row(file), `A message may carry up to ${this.maxFiles} files.`);
        continue;
      }
      const item = { file, row: this.row(file), voice, duration, onDone };
      this.items.push(item);
      if (file.size > this.maxBytes) this.fail(item, `Too large: ${sizeText(file.size)}; files may be up to ${sizeText(this.maxBytes)}.`);
      else this.upload(item);
    }
    this.changed();
  }

  row(file) {
    const row = el(
      "li",
      { className: "upload" },
      el("span", { className: "upload-name", text: file.name || "pasted picture" }),
      el("span", { className: "upload-size", text: sizeText(file.size) }),
      el("progress", { className: "upload-progress", attrs: { max: "100", value: "0", "aria-label": `Uploading ${file.name || "pasted picture"}` } }),
      el("button", { className: "link-button upload-cancel", text: "Cancel", attrs: { type: "button", "aria-label": `Cancel ${file.name || "pasted picture"}` } }),
      el("span", { className: "upload-error", attrs: { role: "alert" } }),
    );
    this.tray.append(row);
    this.tray.hidden = false;
    return row;
  }

  upload(item) {
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    const progress = item.row.querySelector("progress");
    const cancel = item.row.querySelector(".upload-cancel");
    if (!item.cancelBound) cancel.addEventListener("click", () => this.remove(item));
    item.cancelBound = true;
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener("load", () => {
      item.xhr = null;
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // nginx's own 413 page, say: not JSON
      }
      if (xhr.status === 201 && body?.attachment) {
        item.attachment = body.attachment;
        progress.value = 100;
        item.row.classList.add("done");
        cancel.textContent = "Remove";
        this.changed();
        item.onDone?.();
      } else if (xhr.status === 429 && body?.error?.code === Code.UPLOADS_BUSY && (item.busyTries ?? 0) < BUSY_RETRIES) {
        // Not a refusal of this file: the same upload goes again, by itself, once the server has room.
        item.busyTries = (item.busyTries ?? 0) + 1;
        progress.value = 0;
        item.row.querySelector(".upload-error").textContent = "The server is busy with other uploads; trying again in a moment…";
        const seconds = Math.max(1, Number(xhr.getResponseHeader("Retry-After")) || body.error.retry_after || 5);
        item.retry = setTimeout(() => {
          item.retry = null;
          item.row.querySelector(".upload-error").textContent = "";
          this.upload(item);
        }, seconds * 1000);
      } else if (xhr.status === 413 && !body) {
        this.fail(item, `Too large; files may be up to ${sizeText(this.maxBytes)}.`);
      } else {
        this.fail(item, body?.error?.message || "The upload failed; try again.");
      }
    });
    xhr.addEventListener("error", () => this.fail(item, "The upload failed (no connection); try again."));
    const form = new FormData();
    form.append("file", item.file, item.file.name || "pasted.png");
    if (item.voice) {
      form.append("voice", "1");
      form.append("duration", String(item.duration ?? ""));
    }
    xhr.open("POST", this.url);
    xhr.setRequestHeader("X-CSRFToken", this.csrfToken);
    xhr.send(form);
  }

  fail(item, message) {
    item.failed = true;
    item.xhr = null;
    this.failed(item.row, message);
    item.row.querySelector(".upload-cancel").onclick = () => this.remove(item);
    this.changed();
  }

  failed(row, message) {
    row.classList.add("failed");
    row.querySelector("progress")?.remove();
    const cancel = row.querySelector(".upload-cancel");
    cancel.textContent = "Dismiss";
    cancel.onclick ??= () => {
      row.remove();
      this.tray.hidden = !this.tray.children.length;
    };
    row.querySelector(".upload-error").textContent = message;
  }

  remove(item) {
    clearTimeout(item.retry);
    item.xhr?.abort();
    item.row.remove();
    this.items = this.items.filter((i) => i !== item);
    this.tray.hidden = !this.tray.children.length;
    this.changed();
  }

  // Files of a refused message, already uploaded: back in the tray, ready to go again.
  restore(attachments) {
    for (const attachment of attachments) {
      const item = { file: { name: attachment.name, size: attachment.size }, row: this.row({ name: attachment.name, size: attachment.size }), attachment };
      item.row.classList.add("done");
      item.row.querySelector("progress").value = 100;
      const cancel = item.row.querySelector(".upload-cancel");
      cancel.textContent = "Remove";
      cancel.addEventListener("click", () => this.remove(item));
      this.items.push(item);
    }
    this.changed();
  }

  get busy() {
    return this.items.some((i) => i.xhr || i.retry);
  }

  // What the next message carries: the finished uploads (the refused ones stay on screen until dismissed).
  get ready() {
    return this.items.filter((i) => i.attachment).map((i) => i.attachment);
  }

  // The message went: its files leave the tray.
  take() {
    const taken = this.ready;
    for (const item of this.items.filter((i) => i.attachment)) this.remove(item);
    return taken;
  }

  changed() {
    this.input.required = !this.ready.length; // a message with files may have no caption
    this.onChange?.();
  }
}
