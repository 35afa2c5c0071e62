"""chatsite in a terminal: `python -m rooms.client [URL]`, a Textual app speaking `/ws/chat/`.

A module and not a `manage.py chat` command: it is a client of a running
chatsite, from any machine, and needs no Django settings, database or server
code. It shares with the server only the modules that import without Django
(rooms/ws/protocol.py for frames, rooms/errors.py for the error and close
codes); an import contract in pyproject.toml keeps Django out of it.

- `server.py`: the server's addresses, the TLS context, and the HTTP side (a
  guest's session from the lobby form, or an account's from the login form);
- `connection.py`: one socket with reconnect and resume (`since_id`), an
  outbox of unacknowledged messages, and the close codes that mean "stop";
- `app.py`: the screens: connect, then the room list, messages and members.
"""
