"""/socket.io/: Engine.IO v4 and Socket.IO v5 over the same chat as /ws/chat/.

engine.py holds the Engine.IO sessions (handshake, heartbeats, long-polling,
the upgrade to WebSocket); transports.py the two Channels consumers that carry
them (HTTP long-polling and WebSocket); socket.py the Socket.IO layer, a
ChatConsumer whose frames travel as Socket.IO events. The packets are encoded
and decoded by python-engineio and python-socketio; the sockets, rooms and
fan-out are chatsite's own hub (rooms/realtime/hub.py).
"""
