// One socket.io-client 4.x user of chatsite, driven by the test through stdin, reporting on stdout.
//
//   node client.mjs URL MODE NAME ROOM      MODE: "default" (polling, then the upgrade) or "websocket"
//
// It joins ROOM as NAME on every connect (with since_id after a reconnect, as the page does) and
// prints one JSON object a line for what happens. Commands, one JSON object a line on stdin:
//   {"send": "text"}            send_message with an acknowledgement callback (prints "ack")
//   {"emit": "name", "data": {}} any event, with a callback (prints "answer")
//   {"quit": true}              disconnect and exit 0
// It exits 2 on its own after a minute, so a stuck run fails instead of hanging the test.
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const [url, mode, name, room] = process.argv.slice(2);
const say = (what, data = {}) => process.stdout.write(JSON.stringify({ what, ...data }) + "\n");
setTimeout(() => {
  say("timeout");
  process.exit(2);
}, 60_000).unref();

const socket = io(url, mode === "websocket" ? { transports: ["websocket"] } : {});
let lastId = 0;

socket.io.on("open", () => {
  const engine = socket.io.engine;
  say("open", { transport: engine.transport.name });
  engine.on("upgrade", (transport) => say("upgrade", { transport: transport.name }));
});
socket.on("connect", () => {
  say("connect", { transport: socket.io.engine.transport.name });
  const data = { room_name: room, username: name };
  if (lastId) data.since_id = lastId;
  socket.emit("join_room", data, (answer) =>
    say("joined", {
      error: answer.error ?? null,
      resumed: answer.resumed ?? null,
      members: answer.members ?? [],
      history: (answer.history ?? []).map((message) => message.text),
    }),
  );
});
socket.on("disconnect", (reason) => say("disconnect", { reason }));
socket.on("connect_error", (error) => say("connect_error", { message: error.message }));
socket.on("system_message", (data) => say("system_message", { kind: data.kind, username: data.username }));
socket.on("receive_message", (message) => {
  lastId = Math.max(lastId, message.id);
  say("message", { id: message.id, username: message.username, text: message.text });
});
socket.on("error", (data) => say("error", { code: data.code, event: data.event ?? null }));

createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  if (command.send !== undefined) {
    socket.emit("send_message", { text: command.send }, (answer) => say("ack", { answer }));
  } else if (command.emit !== undefined) {
    socket.emit(command.emit, command.data ?? {}, (answer) => say("answer", { answer }));
  } else if (command.quit) {
    socket.disconnect();
    say("quit");
    process.exit(0);
  }
});
