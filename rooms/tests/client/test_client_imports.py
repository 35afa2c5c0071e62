"""The terminal client is a client: it starts on a machine with no chatsite settings and loads no Django."""

import subprocess
import sys

from rooms.tests.support.servers import BASE_DIR


def test_the_client_loads_no_django_and_needs_no_settings():
    code = (
        "import sys, rooms.client.__main__, rooms.client.app\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'channels', 'daphne', 'chatsite'))\n"
        "print(','.join(loaded))\n"
    )
    env = {"PATH": "/usr/bin:/bin"}  # no DJANGO_SETTINGS_MODULE, nothing of the test run's
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"the client loaded {done.stdout.strip()}"


def test_the_command_line_explains_itself():
    done = subprocess.run(
        [sys.executable, "-m", "rooms.client", "--help"],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for option in ("--name", "--account", "--room", "--cafile", "--insecure"):
        assert option in done.stdout
