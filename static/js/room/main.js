// The room page's entry point: builds the parts and wires them together.
// Each part keeps its own DOM; the socket-event handlers live in events/,
// grouped by concern, and talk to the parts only through their methods.

import { Composer } from "../composer.js";
import { ConfirmDialog } from "../confirm.js";
import { readConfig } from "../dom.js";
import { EmojiPicker } from "../emoji.js";
import { MemberList } from "../members.js";
import { MyMessages } from "../mine.js";
import { RoomControls } from "../moderation.js";
import { Notifier } from "../notify.js";
import { Outbox } from "../outbox.js";
import { ChatSocket } from "../socket.js";
import { TypingIndicator } from "../typing.js";
import { DirectMessages } from "./direct.js";
import { bindDirect } from "./events/direct.js";
import { bindErrors } from "./events/errors.js";
import { bindJoining, join } from "./events/joining.js";
import { bindMessages } from "./events/messages.js";
import { joinAs } from "./events/naming.js";
import { bindPresence } from "./events/presence.js";
import { bindRemoval } from "./events/removal.js";
import { bindRename } from "./events/rename.js";
import { bindRoomState } from "./events/room-state.js";
import { Jumper } from "./jump.js";
import { ListKeys, tabbables } from "./list-keys.js";
import { MessageList } from "./message-list.js";
import { NameGate } from "./name-gate.js";
import { NewConversation } from "./new-direct.js";
import { ProfileCard } from "./profile-card.js";
import { RoomPage } from "./page.js";
import { ReplyBar } from "./replies.js";
import { SearchPanel } from "./search.js";
import { OlderHistory } from "./scroll.js";
import { Sender } from "./sending.js";
import { RoomSession } from "./session.js";
import { Sidebar } from "./sidebar.js";
import { MessageStore } from "./store.js";
import { VoiceRecorder } from "./recorder.js";
import { Uploads } from "./uploads.js";
import { ImageViewer } from "./viewer.js";

const config = readConfig("chat-config");
const $ = (id) => document.getElementById(id);

const session = new RoomSession(config);
const socket = new ChatSocket(config.wsPath);
const outbox = new Outbox();
const mine = new MyMessages();
// Mine: sent from this browser, or (an account on another device, a guest who signed up) by the same person.
const store = new MessageStore({ isOwn: (m) => mine.has(m) || (Boolean(session.author) && m.author === session.author) });

const replies = new ReplyBar({ bar: $("reply-bar"), text: $("reply-text"), cancel: $("reply-cancel"), input: $("message-input") });

const messages = new MessageList($("message-list"), $("messages"), store, {
  onEdit: (id, text) => socket.send("edit_message", { id, text }),
  onDelete: (id) => socket.send("delete_message", { id }),
  onRemovePreview: (id) => socket.send("preview_remove", { id }),
  onReact: (id, emoji, add) => socket.send(add ? "react" : "unreact", { id, emoji }),
  onReply: (message) => replies.start(message),
  onCopyLink: (id, button) => page.copyMessageLink(session.joined, id, button),
  onQuote: (id) => jumper.go(id),
  confirm: new ConfirmDialog($("delete-dialog")),
  onFocusLost: () => composer.focus(),
  maxLength: config.maxLength,
  isHidden: (m) => direct.isBlocked(m.author),
});

const uploads = new Uploads({
  button: $("attach-button"),
  picker: $("attach-input"),
  tray: $("upload-tray"),
  dropZone: document.querySelector("main") || document.body,
  input: $("message-input"),
  url: config.upload.url,
  csrfToken: config.csrfToken,
  maxBytes: config.upload.maxBytes,
  maxFiles: config.upload.maxFiles,
});
new ImageViewer($("image-viewer"), $("message-list"));
new ListKeys($("messages"), $("message-list"), { next: () => tabbables($("composer"))[0] || $("message-input") });
new VoiceRecorder({
  button: $("voice-button"),
  bar: $("voice-bar"),
  time: $("voice-time"),
  cancel: $("voice-cancel"),
  send: $("voice-send"),
  uploads,
  // Uploaded: it goes at once, as a message of its own (with whatever else is ready in the tray).
  onRecorded: () => sender.send(""),
  showError: (text) => composer.showError(text),
});

const composer = new Composer({
  form: $("composer"),
  input: $("message-input"),
  button: $("send-button"),
  tools: [$("emoji-button"), $("attach-button"), $("voice-button")],
  hasFiles: () => uploads.ready.length > 0,
  errorNode: $("composer-error"),
  statusNode: $("composer-status"),
  onSend: (text) => sender.send(text),
  onTyping: () => session.joined && socket.send("typing"),
});

const typing = new TypingIndicator($("typing"));
const notifier = new Notifier($("notify-toggle"));
new EmojiPicker($("emoji-button"), $("emoji-panel"), $("message-input"));

const controls = new RoomControls({
  stateNode: $("room-state"),
  ownerBox: $("owner-controls"),
  lockButton: $("lock-toggle"),
  slowSelect: $("slow-mode"),
  send: (event, data) => socket.send(event, data),
});
const openDirect = (name) => socket.send("open_direct", { usernames: [name] });
const members = new MemberList($("member-list"), $("member-count"), $("member-note"), {
  onKick: (name) => controls.kick(name),
  onMessage: openDirect,
});

const sender = new Sender({ socket, session, store, messages, outbox, mine, composer, replies, uploads, maxLength: config.maxLength });
const older = new OlderHistory($("load-older"), $("messages"), () => {
  if (store.oldestId === null) return false;
  socket.send("history", { before_id: store.oldestId, limit: 50 });
  return true;
});

const page = new RoomPage();
const jumper = new Jumper({ socket, store, messages, older, list: $("message-list"), scrollNode: $("messages") });
const gate = new NameGate(
  { form: $("name-gate"), text: $("name-gate-text"), input: $("name-gate-input"), button: $("name-gate-join"), error: $("name-gate-error") },
  { onName: (name) => joinAs(chat, name) },
);
// Switching rooms without a reload: from the sidebar, or back and forward.
const sidebar = new Sidebar($("sidebar-rooms"), socket, {
  onPick: (name) => {
    if (name !== session.joined) join(chat, name);
  },
});
page.onHistory((name) => join(chat, name));

const direct = new DirectMessages(
  {
    section: $("sidebar-direct"),
    list: $("sidebar-direct-rooms"),
    more: $("sidebar-direct-more"),
    roomLists: [$("sidebar-rooms"), $("sidebar-private-rooms")],
  },
  {
    onPick: (name) => {
      if (name !== session.joined) join(chat, name);
    },
    onMore: (before) => socket.send("inbox_more", { before }),
    onChange: () => notifier.setElsewhere(direct.total()),
  },
);

const profiles = new ProfileCard($("profile-dialog"), {
  request: (data) => socket.send("get_profile", data),
  onMention: (name) => composer.insert(`@${name} `),
  onMessage: openDirect,
  onBlock: (card) => socket.send("block", card.message_id ? { message_id: card.message_id } : { username: card.username }),
  onUnblock: (author) => socket.send("unblock", { author }),
  isBlocked: (author) => direct.isBlocked(author),
  me: () => session.author,
  onReport: (id, reason) => socket.send("report_message", { id, reason }),
});

// "New conversation": several people at once (the same people again, the same conversation).
const newDirect = new NewConversation(
  { opener: $("new-direct"), dialog: $("new-direct-dialog"), fallback: $("rooms-toggle") },
  {
    people: () => {
      const me = (session.username || "").toLowerCase();
      const blocked = new Set(direct.blockedNames().map((name) => name.toLowerCase()));
      return members.members
        .filter((name) => name.toLowerCase() !== me && !blocked.has(name.toLowerCase()))
        .map((name) => ({ name, avatar: Object.hasOwn(members.avatars, name) ? members.avatars[name] : null }));
    },
    onStart: (usernames) => socket.send("open_direct", { usernames }),
  },
);

// A search result opens its room at that message: here at once, elsewhere once joined (as a message link does).
const search = new SearchPanel(
  { form: $("search-form"), input: $("search-input"), panel: $("search-panel"), list: $("search-results"), status: $("search-status"), toggle: $("search-toggle"), closer: $("search-close") },
  socket,
  {
    onOpen: (result) => {
      if (result.room === session.joined) {
        jumper.go(result.id);
        return;
      }
      chat.focus = { room: result.room, id: result.id };
      join(chat, result.room);
    },
    titleOf: (room) => direct.title(room),
  },
);

const chat = { socket, session, store, messages, composer, typing, notifier, controls, members, sender, older, page, sidebar, gate, jumper, replies, profiles, direct, newDirect, search };
// Opened from a message's link (/r/<room>/?m=<id>, checked by the server): go there once in.
chat.focus = config.focus ? { room: config.room, id: config.focus } : null;
bindJoining(chat);
bindRemoval(chat);
bindMessages(chat);
bindPresence(chat);
bindRename(chat);
bindRoomState(chat);
bindErrors(chat);
bindDirect(chat);

socket.connect();
