// The room page's own furniture: the connection status, the room title, the
// notice shown when we are removed from the room, "copy invite link" and a message's "copy link".

const STATUS_TEXT = {
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  closed: "Disconnected",
  ban: "Banned",
};

const $ = (id) => document.getElementById(id);

export class RoomPage {
  constructor() {
    this.status = $("connection-status");
    this.title = $("room-title");
    this.notice = $("room-notice");
    this.noticeText = $("room-notice-text");
    this.lobbyLink = $("room-notice-lobby");
    this.banned = false;
    const copyButton = $("copy-code");
    if (copyButton) {
      copyButton.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(location.href);
          copyButton.textContent = "Copied!";
        } catch {
          copyButton.textContent = location.href;
        }
      });
    }
  }

  // "Copy link" on a message: its address (the room's, which private rooms need, and ?m=<id>) to the clipboard.
  async copyMessageLink(room, id, button) {
    if (!room) return;
    const url = new URL(`/r/${encodeURIComponent(room)}/?m=${id}`, location.origin).href;
    const status = $("message-status");
    try {
      await navigator.clipboard.writeText(url);
      status.textContent = "Link to the message copied.";
      button.textContent = "Copied";
      setTimeout(() => {
        if (button.isConnected) button.textContent = "Copy link";
      }, 2000);
    } catch {
      status.textContent = `Copy this link: ${url}`; // no clipboard here: to copy by hand
    }
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => (status.textContent = ""), 8000);
  }

  showConnection(state) {
    if (this.banned) return; // the network may come and go; the ban stays
    this.status.dataset.state = state;
    this.status.textContent = STATUS_TEXT[state] || state;
    document.body.dataset.connection = state;
  }

  // Banned from the site: the chip says so for good, not "Offline" (the network is fine).
  showBanned() {
    this.showConnection("ban");
    this.banned = true;
  }

  showTitle(title) {
    this.title.textContent = title;
  }

  // The room's address in the location bar (a new history entry).
  showAddress(name) {
    const path = `/r/${encodeURIComponent(name)}/`;
    if (location.pathname === path) return;
    history.pushState({ room: name }, "", path);
    for (const flash of document.querySelectorAll(".room-flash")) flash.remove(); // it was about the room we left
  }

  showNotice(text) {
    this.noticeText.textContent = text;
    this.notice.hidden = false;
  }

  hideNotice() {
    this.notice.hidden = true;
  }

  // After a removal: the way out is the lobby.
  focusLobby() {
    this.lobbyLink.focus();
  }

  // Back and forward between rooms: onRoom(name) for a room address.
  onHistory(onRoom) {
    window.addEventListener("popstate", () => {
      const match = location.pathname.match(/^\/r\/([^/]+)\/$/);
      if (match) onRoom(decodeURIComponent(match[1]));
    });
  }
}
