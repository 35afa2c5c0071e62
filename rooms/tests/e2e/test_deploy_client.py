"""The terminal client over wss:// behind the documented deployment (docs/deploy.md: nginx with TLS,
two daphne processes in production mode), trusting the site's self-signed certificate with --cafile."""

import pytest

from rooms.client.app import ChatApp, Settings
from rooms.tests.client.conftest import SIZE, Terminal
from rooms.tests.e2e.test_deploy_nginx import nginx, start_documented_deploy  # noqa: F401 (a fixture)
from rooms.tests.support.client import WSClient
from rooms.tests.support.tab import session_cookie

pytestmark = pytest.mark.integration


async def test_the_terminal_client_chats_over_wss_behind_nginx(cluster, nginx, tmp_path):  # noqa: F811
    servers = start_documented_deploy(cluster, tmp_path)
    https_port, _, tls = nginx([server.port for server in servers])
    site = f"https://127.0.0.1:{https_port}"
    cafile = str(tmp_path / "nginx" / "cert.pem")  # the certificate the nginx fixture made and serves

    untrusted = ChatApp(Settings(url=site, username="ann"))
    async with untrusted.run_test(size=SIZE) as pilot:
        term = Terminal(untrusted, pilot)
        await term.enter()
        await term.pane_shows("#connect-error", "is not trusted")  # said, not a hang or a crash
        assert "--cafile" in term.pane("#connect-error")

    app = ChatApp(Settings(url=site, cafile=cafile))
    async with app.run_test(size=SIZE) as pilot:
        term = Terminal(app, pilot)
        await term.enter("ann")
        await term.pane_shows("#status", "● connected · #general as ann", wait=20)
        assert app.connection.server.ws_url == f"wss://127.0.0.1:{https_port}/ws/chat/"

        bob = await WSClient(app.connection.server.ws_url, cookie=session_cookie(site, context=tls), ssl=tls).open()
        try:
            await bob.join("general", "bob")
            await term.pane_shows("#members", "bob")
            await bob.say("hello over wss")
            await term.pane_shows("#messages", "bob hello over wss")
            await term.enter("and back")
            heard = await bob.expect("receive_message", skip=(*bob.skip, "ack", "typing"))
            assert (heard["username"], heard["text"]) == ("ann", "and back")
        finally:
            await bob.close()
