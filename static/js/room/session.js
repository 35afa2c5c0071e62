// Where this page is and who it is there, no DOM: the room it is in or
// joining, the room the server confirmed, my display name and whether I own
// the room.

export class RoomSession {
  constructor({ room, title, username }) {
    this.room = room; // the room we are in, or are joining (null: stay out)
    this.joined = null; // the room the server confirmed
    this.title = title;
    this.username = username;
    this.owner = false;
    this.author = ""; // the server's token for this person: marks their messages on every device
    this.avatar = null; // an account's avatar URL, for the messages it is sending
    this.siteBanned = false; // banned from the whole site: out for good
  }

  // An event about `room` concerns the page only while it is the room joined.
  isJoined(room) {
    return room === this.joined;
  }

  // join_confirm: true when it is another room than the one we were in.
  confirm({ room, username, owner, author, avatar }) {
    const switched = this.joined !== room.name;
    this.joined = this.room = room.name;
    this.username = username;
    this.author = author || "";
    this.avatar = avatar || null;
    this.owner = Boolean(owner);
    this.title = room.title;
    return switched;
  }

  // Kicked, banned or the room closed: out, and not rejoining by ourselves.
  leave() {
    this.room = null;
    this.joined = null;
    this.owner = false;
  }
}
