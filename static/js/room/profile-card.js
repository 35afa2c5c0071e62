// A person's card: a click on a name in the member list or on a message's
// author asks the server (`get_profile`) and shows the answer (`profile`) in a
// native modal <dialog>: avatar, name, the account badge, the about line, and
// what one can do with them (mention, message, block or unblock). Esc, Close
// or a click on the backdrop closes it;
// focus goes back to the name that opened it. Text only through textContent.

import { accountBadge, avatarElement, el } from "../dom.js";

const joinedFormat = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long" });

export class ProfileCard {
  // request(data): send get_profile; onMention(name): put "@name " into the composer.
  // onMessage(name): open a direct conversation; onBlock(card), onUnblock(author), isBlocked(author).
  // me(): this person's author token (no Message or Block on one's own card).
  // onReport(messageId, reason): report the message the card was opened from.
  constructor(dialog, { request, onMention, onMessage, onBlock, onUnblock, isBlocked, me, onReport }) {
    this.isBlocked = isBlocked;
    this.me = me;
    this.reportButton = dialog.querySelector("[data-report]");
    this.reportButton.addEventListener("click", () => {
      const card = this.card;
      if (!card?.message_id) return;
      const reason = window.prompt("Report this message to the moderators. Why? (optional)", "");
      if (reason === null) return; // cancelled
      onReport(card.message_id, reason);
      this.dialog.close();
    });
    this.directButton = dialog.querySelector("[data-direct]");
    this.blockButton = dialog.querySelector("[data-block]");
    this.directButton.addEventListener("click", () => {
      if (this.card) onMessage(this.card.username);
    });
    this.blockButton.addEventListener("click", () => {
      const card = this.card;
      if (!card) return;
      if (this.isBlocked(card.author)) onUnblock(card.author);
      else onBlock(card);
      this.dialog.close();
    });
    this.dialog = dialog;
    this.request = request;
    this.avatarBox = dialog.querySelector("[data-avatar]");
    this.nameNode = dialog.querySelector("[data-name]");
    this.kindNode = dialog.querySelector("[data-kind]");
    this.aboutNode = dialog.querySelector("[data-about]");
    this.metaNode = dialog.querySelector("[data-meta]");
    this.mentionButton = dialog.querySelector("[data-mention]");
    this.asked = null; // the trigger of the card being fetched
    this.trigger = null;
    this.card = null;
    document.addEventListener("click", (e) => {
      const trigger = e.target.closest("[data-profile-name], [data-profile-message]");
      if (trigger) this.ask(trigger);
    });
    this.mentionButton.addEventListener("click", () => {
      const name = this.card?.username;
      this.trigger = null; // focus goes to the message box, not back to the name
      this.dialog.close();
      if (name) onMention(name);
    });
    dialog.addEventListener("click", (e) => {
      if (e.target === dialog) dialog.close();
    });
    dialog.addEventListener("close", () => {
      const back = this.trigger;
      this.trigger = null;
      if (back?.isConnected) back.focus();
    });
  }

  ask(trigger) {
    this.asked = trigger;
    const { profileName, profileMessage } = trigger.dataset;
    this.request(profileMessage ? { message_id: Number(profileMessage) } : { username: profileName });
  }

  // The server's answer; shown only if it is the one asked for last.
  show(card) {
    const asked = this.asked;
    if (!asked) return;
    const wanted = asked.dataset.profileMessage ? Number(asked.dataset.profileMessage) === card.message_id : asked.dataset.profileName === card.username && card.message_id === undefined;
    if (!wanted) return;
    this.asked = null;
    this.card = card;
    this.trigger = asked;
    this.avatarBox.replaceChildren(avatarElement(card.username, card.avatar_large || null, 96));
    this.nameNode.replaceChildren(el("span", { text: card.username }), ...(card.account ? [accountBadge()] : []));
    this.kindNode.textContent = card.account
      ? card.account_name && card.account_name !== card.username
        ? `Account ${card.account_name}`
        : "Account"
      : "Guest";
    this.aboutNode.textContent = card.about || "";
    this.aboutNode.hidden = !card.about;
    const meta = [];
    if (card.joined) meta.push(`Member since ${joinedFormat.format(new Date(card.joined))}`);
    meta.push(card.present ? "In this room now" : "Not in this room now");
    this.metaNode.textContent = meta.join(" · ");
    const self = card.author && card.author === this.me?.();
    this.directButton.hidden = self;
    this.reportButton.hidden = self || !card.message_id;
    this.blockButton.hidden = self;
    this.blockButton.textContent = this.isBlocked(card.author) ? `Unblock ${card.username}` : "Block";
    if (!this.dialog.open) this.dialog.showModal();
    this.mentionButton.focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  // The card asked for cannot be had (the member left, the message went).
  refused() {
    this.asked = null;
  }
}
