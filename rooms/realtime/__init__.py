"""The realtime side: one hub per server process between the channel layer and its sockets.

Only the ws layer imports this package (import-linter checks it); domain code
reaches it through `rooms.realtime.bus` alone, which the hub installs itself into.
"""
