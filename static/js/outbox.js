// Messages typed but not yet acknowledged by the server. Kept in
// sessionStorage, so a reconnect or even a reload resends them; the server
// drops duplicates by client_id, so resending is always safe.

const KEY = "chatsite:outbox";

export class Outbox {
  constructor() {
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

  add(clientId, room, text) {
    this.items.set(clientId, { room, text });
    this.save();
  }

  get(clientId) {
    return this.items.get(clientId);
  }

  remove(clientId) {
    if (this.items.delete(clientId)) this.save();
  }

  forRoom(room) {
    return [...this.items].filter(([, item]) => item.room === room);
  }
}
