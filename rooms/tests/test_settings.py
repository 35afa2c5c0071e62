"""Settings read from the environment: a replaced variable is refused with what to set instead."""

import json
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


def check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=server_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_s3_storage_without_a_bucket_or_an_unknown_storage_refuses_to_start():
    result = check(DJANGO_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="")
    assert result.returncode != 0 and "DJANGO_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in result.stderr
    result = check(DJANGO_STORAGE="ftp")
    assert result.returncode != 0 and "DJANGO_STORAGE must be filesystem or s3, not 'ftp'" in result.stderr


def test_a_bucket_on_aws_is_private_signed_and_allowed_by_the_csp():
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.STORAGES['default'], s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=server_env(AWS_STORAGE_BUCKET_NAME="chatsite-files", AWS_S3_REGION_NAME="eu-west-1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    storage, img_src = json.loads(result.stdout.strip().splitlines()[-1])
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["querystring_auth"], options["custom_domain"], options["default_acl"]) == (True, None, None)
    assert (options["querystring_expire"], options["addressing_style"]) == (300, "virtual")
    assert img_src[-1] == "https://chatsite-files.s3.eu-west-1.amazonaws.com"
