// Messages typed but not yet acknowledged by the server. Kept in
// sessionStorage, so a reconnect or even a reload resends them; the server
// drops duplicates by client_id, so resending is always safe.

const KEY = "chatsite:outbox";

export class Outbox {
  constructor() {
    this.sentAt = new Map();
    try {
      this.items = new Map(JSON.parse(sessionStorage.getItem(KEY) || "[]"));
    } catch {
      this.items = new Map();
    }
  }

  save() {
    try {
      sessionStorage.setItem(KEY, JSON.stringify([...this.items]));
    } catch {
      // Storage full or disabled: the in-memory copy still resends on reconnect.
    }
  }

  // replyTo: the id of the message it answers, or null; attachments: its uploaded files (their frames' shape).
  add(clientId, room, text, replyTo = null, attachments = []) {
    this.items.set(clientId, { room, text, replyTo, attachments });
    this.save();
  }

  get(clientId) {
    return this.items.get(clientId);
  }

  remove(clientId) {
    this.sentAt.delete(clientId);
    if (this.items.delete(clientId)) this.save();
  }

  // When each message last went out on this page (not stored: after a reload
  // everything in the outbox is resent on joining anyway).
  markSent(clientId) {
    this.sentAt.set(clientId, Date.now());
  }

  // Sent more than `ms` ago and still not acknowledged: a frame the server
  // refused (flood control answers only the first refusal) or lost.
  overdue(room, ms) {
    const now = Date.now();
    return this.forRoom(room).filter(([clientId]) => {
      const at = this.sentAt.get(clientId);
      return at !== undefined && now - at > ms;
    });
  }

  forRoom(room) {
    return [...this.items].filter(([, item]) => item.room === room);
  }
}
