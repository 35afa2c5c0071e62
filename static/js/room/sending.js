// Sending messages: shown at once as "sending…", kept in the outbox until the
// server acknowledges them, and sent again with the same client_id (stored
// once) after a reconnect, a reload, or when no answer comes.

import { randomId } from "../dom.js";

// A message still unacknowledged after a while goes again: the server may
// have refused the frame without a word.
const RESEND_AFTER_MS = 6000;

export class Sender {
  // replies: the reply bar (replies.js), which says what the next message answers.
  // uploads: the files for the next message (uploads.js).
  constructor({ socket, session, store, messages, outbox, mine, composer, replies, uploads, maxLength }) {
    Object.assign(this, { socket, session, store, messages, outbox, mine, composer, replies, uploads, maxLength });
    this.pausedUntil = 0; // the server could not store messages: nothing goes out until then
    setInterval(() => this.resendOverdue(), 2000);
  }

  get paused() {
    return Date.now() < this.pausedUntil;
  }

  // The composer's text; false keeps it in the box.
  send(text) {
    if (text.length > this.maxLength) {
      this.composer.showError(`Messages are limited to ${this.maxLength} characters.`);
      return false;
    }
    const { room, joined, username } = this.session;
    if (!room) {
      this.composer.showError("You are not in a room.");
      return false;
    }
    if (this.uploads?.busy) {
      this.composer.showError("Wait for the files to finish uploading, or cancel them.");
      return false;
    }
    const files = this.uploads?.take() ?? [];
    const clientId = randomId();
    const replyTo = this.replies?.take() ?? null;
    this.mine.add(clientId);
    this.outbox.add(clientId, room, text, replyTo, files);
    this.messages.addPending(clientId, text, username, this.session.avatar, files);
    if (joined === room && !this.paused) this.transmit(clientId, text, replyTo, files); // paused: the resume sends it
    return true;
  }

  transmit(clientId, text, replyTo = null, files = []) {
    const data = { text, client_id: clientId };
    if (replyTo) data.reply_to = replyTo;
    if (files?.length) data.attachments = files.map((f) => f.id);
    if (this.socket.send("send_message", data)) this.outbox.markSent(clientId);
  }

  // Just joined: whatever was sent but never acknowledged goes again.
  resendAll(room) {
    for (const [clientId, item] of this.outbox.forRoom(room)) {
      if (!this.store.hasPending(clientId)) this.messages.addPending(clientId, item.text, this.session.username, this.session.avatar, item.attachments);
      this.transmit(clientId, item.text, item.replyTo, item.attachments);
    }
  }

  resendOverdue() {
    const { joined, room } = this.session;
    if (!joined || joined !== room || this.composer.waiting || this.paused) return;
    for (const [clientId, item] of this.outbox.overdue(joined, RESEND_AFTER_MS).slice(0, 5)) this.transmit(clientId, item.text, item.replyTo, item.attachments);
  }

  // We are not getting in (refused, removed): what waits to go out for `room`
  // comes off the list and back into the composer, never lost and never "sending…" for ever.
  holdBack(room) {
    for (const [clientId] of this.outbox.forRoom(room)) this.refused(clientId);
  }

  // The server could not store it (its database is away for a moment): keep
  // everything, send nothing for `seconds`, then all that waits, in order,
  // with the same client_ids (stored once even if a failed write went through).
  pause(seconds) {
    if (this.paused) return;
    const ms = Math.max(0.1, Number(seconds) || 1) * 1000;
    this.pausedUntil = Date.now() + ms;
    setTimeout(() => {
      this.pausedUntil = 0;
      const { joined, room } = this.session;
      if (joined && joined === room) this.resendAll(room);
    }, ms);
  }

  // The message came back stored, as a receive_message or an ack.
  delivered(clientId) {
    this.outbox.remove(clientId);
  }

  // The server refused it: off the list, back into the composer.
  refused(clientId) {
    const item = this.outbox.get(clientId);
    this.outbox.remove(clientId);
    this.messages.removePending(clientId);
    if (item) this.composer.restore(item.text);
    if (item?.attachments?.length) this.uploads?.restore(item.attachments); // still unsent: back in the tray
  }
}
