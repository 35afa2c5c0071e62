// "ann is typing…": who is typing in the room, each name forgotten a few
// seconds after their last `typing` event or as soon as their message arrives.

const FORGET_AFTER_MS = 6000; // a typist sends one every 2.5 s; allow for a slow network

export class TypingIndicator {
  constructor(node) {
    this.node = node;
    this.timers = new Map(); // username → timeout
  }

  typing(username) {
    clearTimeout(this.timers.get(username));
    this.timers.set(
      username,
      setTimeout(() => this.stopped(username), FORGET_AFTER_MS),
    );
    this.render();
  }

  stopped(username) {
    if (!this.timers.has(username)) return;
    clearTimeout(this.timers.get(username));
    this.timers.delete(username);
    this.render();
  }

  clear() {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.render();
  }

  render() {
    const names = [...this.timers.keys()];
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length === 3) text = `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
    else if (names.length > 3) text = "Several people are typing…";
    if (this.node.textContent !== text) this.node.textContent = text;
  }
}
