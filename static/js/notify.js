// Unread count in the tab title and, once the person opts in, a browser
// notification for each new message while the tab is hidden. Messages that
// mention me notify even when the tab is visible but the window is not focused,
// and so does a new direct message in a conversation this page is not showing.
// The title also counts what is unread in the person's other rooms and
// conversations (setElsewhere).

const PREF_KEY = "chatsite:notify";

export class Notifier {
  constructor(button) {
    this.button = button;
    this.unread = 0;
    this.elsewhere = 0;
    this.baseTitle = document.title;
    this.supported = typeof window.Notification === "function";
    this.render();
    button.addEventListener("click", () => this.toggle());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.markRead();
    });
    window.addEventListener("focus", () => this.markRead());
  }

  get enabled() {
    return this.supported && Notification.permission === "granted" && localStorage.getItem(PREF_KEY) === "on";
  }

  async toggle() {
    if (!this.supported) return;
    if (this.enabled) {
      localStorage.setItem(PREF_KEY, "off");
    } else {
      let permission = Notification.permission;
      if (permission === "default") permission = await Notification.requestPermission();
      localStorage.setItem(PREF_KEY, permission === "granted" ? "on" : "off");
    }
    this.render();
  }

  render() {
    const b = this.button;
    if (!this.supported) {
      b.hidden = true;
      return;
    }
    const denied = Notification.permission === "denied";
    b.disabled = denied;
    b.setAttribute("aria-pressed", String(this.enabled));
    b.textContent = denied ? "Notifications blocked" : this.enabled ? "Notifications on" : "Notify me";
    b.title = denied
      ? "Notifications are blocked in this browser's site settings"
      : this.enabled
        ? "Turn off notifications for new messages"
        : "Get a notification for new messages while this tab is hidden";
  }

  setTitle(title) {
    this.baseTitle = title;
    this.renderTitle();
  }

  renderTitle() {
    const count = this.unread + this.elsewhere;
    document.title = count > 0 ? `(${count}) ${this.baseTitle}` : this.baseTitle;
  }

  // Unread messages in the person's other rooms and conversations.
  setElsewhere(count) {
    this.elsewhere = count;
    this.renderTitle();
  }

  // A new direct message in a conversation this page is not showing (only who wrote: the text is not sent).
  direct({ username, room, title }) {
    if (!this.enabled) return;
    try {
      const note = new Notification(`${username} sent you a message`, { body: title || "", tag: `chatsite:${room}` });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    } catch {
      // Some browsers allow notifications only from a service worker; the badge and the title still count.
    }
  }

  get hidden() {
    return document.visibilityState === "hidden";
  }

  markRead() {
    if (this.hidden || this.unread === 0) return;
    this.unread = 0;
    this.renderTitle();
  }

  // A new message from someone else arrived live.
  message({ username, text, room, mention, roomTitle }) {
    if (this.hidden) {
      this.unread += 1;
      this.renderTitle();
    }
    const wanted = this.hidden || (mention && !document.hasFocus());
    if (!wanted || !this.enabled) return;
    try {
      const note = new Notification(mention ? `${username} mentioned you in ${roomTitle}` : `${username} in ${roomTitle}`, {
        body: text.length > 180 ? `${text.slice(0, 180)}…` : text,
        tag: `chatsite:${room}`,
      });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    } catch {
      // Some browsers allow notifications only from a service worker; the title still counts.
    }
  }
}
