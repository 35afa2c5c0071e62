// Which messages are mine: the client_ids this browser sent, remembered in
// localStorage. The server decides what I may edit or delete (by session, never
// by display name); this only decides where the page offers the controls, so
// someone else using my display name does not get them.

const KEY = "chatsite:mine";
const LIMIT = 2000;

export class MyMessages {
  constructor() {
    try {
      this.ids = new Set(JSON.parse(localStorage.getItem(KEY) || "[]"));
    } catch {
      this.ids = new Set();
    }
  }

  add(clientId) {
    this.ids.add(clientId);
    const all = [...this.ids];
    if (all.length > LIMIT) this.ids = new Set(all.slice(-LIMIT));
    try {
      localStorage.setItem(KEY, JSON.stringify([...this.ids]));
    } catch {
      // Storage full or disabled: this page still knows, a reload forgets.
    }
  }

  has(message) {
    return Boolean(message.client_id) && this.ids.has(message.client_id);
  }
}
