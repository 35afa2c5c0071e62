"""`python -m rooms.client [URL] [--name NAME]`: chatsite in a terminal (see rooms/client/__init__.py)."""

import argparse
import os

from rooms.client.app import ChatApp, Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rooms.client", description="chatsite in a terminal.")
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000", help="the site, e.g. https://chat.example")
    parser.add_argument("--name", default="", help="display name as a guest (connects at once)")
    parser.add_argument(
        "--account", default="", help="log in with this account (password from CHATSITE_PASSWORD or the form)"
    )
    parser.add_argument("--room", default="general", help="the room to join first (a name or a private code)")
    parser.add_argument("--cafile", help="trust this CA certificate file for https/wss (a self-signed server)")
    parser.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    args = parser.parse_args(argv)
    settings = Settings(
        url=args.url,
        username=args.name,
        room=args.room,
        account=args.account,
        password=os.environ.get("CHATSITE_PASSWORD", ""),
        insecure=args.insecure,
        cafile=args.cafile,
    )
    connect_now = bool(args.name or (args.account and settings.password))
    ChatApp(settings, connect_now=connect_now).run()


if __name__ == "__main__":
    main()
