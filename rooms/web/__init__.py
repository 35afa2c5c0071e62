"""The pages: the lobby, a room, the health check."""
