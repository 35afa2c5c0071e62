"""The moderator's console, a module per model. Every action goes through rooms/services/, so it
reaches open browsers at once, exactly as the same action by a user would, and lands in the audit log."""

from rooms.admin import audit, bans, messages, reactions, reports, rooms

__all__ = ["audit", "bans", "messages", "reactions", "reports", "rooms"]
