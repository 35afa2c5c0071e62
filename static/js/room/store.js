// The room's messages as data, no DOM: which ids are shown and their range,
// which were removed by a moderator (a placeholder stays) or deleted by their
// author (never shown again), which sent messages wait for the server, and
// what this person may do to each message.

export class MessageStore {
  // isOwn(message): did this browser send it.
  constructor({ isOwn }) {
    this.isOwn = isOwn;
    this.me = "";
    this.owner = false;
    this.editWindow = 0;
    this.present = false; // in the room: out of it, nothing may be edited or deleted
    this.messages = new Map(); // id → message, shown with its text
    this.removed = new Set(); // ids a moderator removed: their row stays as a placeholder
    this.gone = new Set(); // ids deleted by their author: never shown again
    this.pending = new Set(); // client_ids sent (or sending) and not yet stored
    this.maxId = 0;
    this.minId = Infinity;
    this.author = ""; // my author token: marks my reactions
    this.reactionsSeq = 0; // join_confirm.reactions_seq of the last join: sent back to resume
    this.latestReactions = new Map(); // id → the newest `reactions` heard, shown or not (yet)
  }

  get newestId() {
    return this.maxId;
  }

  get oldestId() {
    return this.minId === Infinity ? null : this.minId;
  }

  // Who I am and what I may do here, from join_confirm.
  setPermissions({ me, owner, editWindow }) {
    this.me = me;
    this.owner = Boolean(owner);
    this.editWindow = Number(editWindow) || 0;
    this.present = true;
  }

  // Out of the room (removed, banned, not joined): the messages stay to read, no more.
  revoke() {
    this.owner = false;
    this.present = false;
  }

  canEdit(message) {
    return this.present && this.isOwn(message) && Date.now() - Date.parse(message.ts) < this.editWindow * 1000;
  }

  canDelete(message) {
    return this.present && (this.owner || this.isOwn(message));
  }

  // Has a row on the page: a message, or what a moderator left of one.
  shows(id) {
    return this.messages.has(id) || this.removed.has(id);
  }

  get(id) {
    return this.messages.get(id);
  }

  ids() {
    return this.messages.keys();
  }

  // False for a message already shown or deleted. Storing it settles its pending copy.
  add(message) {
    if (this.shows(message.id) || this.gone.has(message.id)) return false;
    if (message.client_id) this.pending.delete(message.client_id);
    const heard = this.latestReactions.get(message.id);
    if (heard && heard.rseq > (message.rseq ?? 0)) Object.assign(message, { reactions: heard.reactions, rseq: heard.rseq });
    this.messages.set(message.id, message);
    this.maxId = Math.max(this.maxId, message.id);
    this.minId = Math.min(this.minId, message.id);
    return true;
  }

  // A message's reactions now (from `reactions`): the message if it is shown and this is newer, else null.
  // Frames can cross, so only a higher rseq replaces what we have; one for a message not here yet waits for it.
  setReactions({ id, rseq, reactions }) {
    const message = this.messages.get(id);
    const known = Math.max(message?.rseq ?? 0, this.latestReactions.get(id)?.rseq ?? 0);
    if (rseq <= known) return null;
    if (!message) {
      if (!this.gone.has(id) && !this.removed.has(id)) this.latestReactions.set(id, { rseq, reactions });
      return null;
    }
    this.latestReactions.delete(id);
    message.reactions = reactions;
    message.rseq = rseq;
    return message;
  }

  // Is `emoji` among my reactions on that message (so a click takes it off)?
  reacted(id, emoji, same) {
    const message = this.messages.get(id);
    return Boolean(message?.reactions?.some((r) => same(r.emoji, emoji) && r.authors.includes(this.author)));
  }

  // The message with its new text, or null when it is not shown.
  edit({ id, text, edited_at: editedAt }) {
    const message = this.messages.get(id);
    if (!message) return null;
    message.text = text;
    message.edited_at = editedAt;
    return message;
  }

  // Deleted by its author, or before this page saw it: gone for good.
  // Removed by a moderator while shown: a placeholder.
  remove(id, by) {
    const shown = this.shows(id);
    this.messages.delete(id);
    if (shown && by !== "author") {
      this.removed.add(id);
      return;
    }
    this.removed.delete(id);
    this.gone.add(id);
  }

  addPending(clientId) {
    this.pending.add(clientId);
  }

  hasPending(clientId) {
    return this.pending.has(clientId);
  }

  removePending(clientId) {
    this.pending.delete(clientId);
  }

  // Everything (what was deleted stays deleted): joining another room, or a resync.
  clear() {
    this.clearMessages();
    this.pending.clear();
    this.latestReactions.clear();
  }

  // Messages only, pending ones stay: after a moderator cleared the history.
  clearMessages() {
    this.messages.clear();
    this.removed.clear();
    this.maxId = 0;
    this.minId = Infinity;
  }
}
