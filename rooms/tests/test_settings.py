"""Settings read from the environment: a replaced variable is refused with what to set instead."""

import subprocess
import sys

from rooms.tests.support.servers import BASE_DIR, server_env


def test_the_replaced_delete_empty_named_rooms_refuses_to_start_and_names_its_successor():
    env = server_env(DELETE_EMPTY_NAMED_ROOMS="0")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "DELETE_EMPTY_NAMED_ROOMS is replaced by ROOM_IDLE_EXPIRY_SECONDS" in result.stderr
    assert "ROOM_IDLE_EXPIRY_SECONDS=0 to keep empty named rooms for ever" in result.stderr
