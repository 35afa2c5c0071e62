"""Do uploads slow the chat? Workload ii (one room, 200 sockets, 10 senders × 10 msg/s) on one daphne
(SQLite, in-memory layer, bench/run.py's BENCH_ENV), alone and while 20 people upload a 24-megapixel
JPEG each at once, on fresh processes in the same run.

The uploads start 3 s into the workload's sending, each from its own session
(lobby form, CSRF token, POST /r/general/attachments/), all 20 at the same
moment, in threads of this process. Reports workload ii's latency p50/p95/p99
for both runs, and how long the uploads took (each is sniffed, decoded, drawn
again and thumbnailed by the server: bench/thumbnail.py). Bounded: 200 + 20
connections, `--duration` s of sending (default 15).

    python -m bench.uploads [--duration 15] [--json FILE]

Before and after a change, on a quiet machine (`uptime`: load average well
under 1; nothing else running, no test suite), both in the same session:

    git archive BEFORE_COMMIT | tar -x -C /tmp/chatsite-before
    (cd /tmp/chatsite-before && /path/to/checkout/.venv/bin/python -m bench.uploads --json /tmp/before.jsonl)
    .venv/bin/python -m bench.uploads --json /tmp/after.jsonl

Each run prints two JSON rows, "alone" (uploads 0) and with the 20 uploads;
the figure is each run's p99_ms with uploads against its own p99_ms alone,
put in docs/performance.md with the commits, the load averages and these
commands. An upload answered 429 (`uploads_busy`, past UPLOAD_QUEUE_MAX) is
sent again after its Retry-After, as the page would, and counted in "busy".
"""

import argparse
import asyncio
import io
import json
import secrets
import string
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench import load
from bench.run import BENCH_ENV, Chatsite, uptime
from rooms.tests.support.servers import migrate, server_env

UPLOADERS = 20
BUSY: list[str] = []  # uploads answered uploads_busy (429) and sent again


def photo() -> bytes:
    from PIL import Image

    noise = Image.effect_noise((6000, 4000), 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    out = io.BytesIO()
    Image.blend(noise, gradient, 0.6).save(out, format="JPEG", quality=90)
    return out.getvalue()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


HEADERS_VIA_PROXY = {"X-Forwarded-Proto": "https"}


def csrf_token() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def session_cookie(base_url: str, name: str, token: str | None = None) -> str:
    """A person's session as the lobby form starts it (`sessionid=...`), their display name `name`.

    No page is rendered (the production settings want collected static files for that): the
    CSRF cookie is one this client makes (Django takes any well-formed token matching its
    header), the lobby form's POST starts the session, and its redirect is not followed.
    Every request says it came through a TLS proxy (X-Forwarded-Proto, which the production
    settings trust), so there is no redirect to https, and its Origin is the https one.
    """
    opener = urllib.request.build_opener(_NoRedirect)
    origin = "https://" + base_url.split("://", 1)[1]
    token = token or csrf_token()
    headers = {**HEADERS_VIA_PROXY, "Origin": origin, "Referer": origin + "/"}
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": name, "enter": "general"}).encode()
    request = urllib.request.Request(base_url + "/", data=form, headers={**headers, "Cookie": f"csrftoken={token}"})
    try:
        opener.open(request, timeout=30).close()
        raise AssertionError("the lobby form did not redirect")
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.code
        cookies = [c.split(";", 1)[0] for c in answer.headers.get_all("Set-Cookie") or []]
    return next(c for c in cookies if c.startswith("sessionid="))


def upload(base_url: str, content: bytes, name: str) -> float:
    """One person's session (session_cookie) and one upload; the seconds the POST took."""
    origin = "https://" + base_url.split("://", 1)[1]
    headers = {**HEADERS_VIA_PROXY, "Origin": origin, "Referer": origin + "/"}
    token = csrf_token()
    session = session_cookie(base_url, name, token)
    opener = urllib.request.build_opener(_NoRedirect)
    boundary = secrets.token_hex(16)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        base_url + "/r/general/attachments/",
        data=body,
        headers={
            **headers,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-CSRFToken": token,
            "Cookie": f"csrftoken={token}; {session}",
        },
    )
    started = time.perf_counter()
    while True:
        try:
            with opener.open(request, timeout=300) as response:
                assert response.status == 201, response.status
            return time.perf_counter() - started
        except urllib.error.HTTPError as answer:
            if answer.code != 429:
                raise
            BUSY.append(name)
            time.sleep(float(answer.headers.get("Retry-After", "1")))


async def uploads_later(base_url: str, content: bytes, delay: float) -> list[float]:
    await asyncio.sleep(delay)
    return await asyncio.gather(*(asyncio.to_thread(upload, base_url, content, f"up{i}") for i in range(UPLOADERS)))


async def workload_with_uploads(server, args, content: bytes | None) -> dict:
    chat = load.run_chat(server.ws_urls, load.workload("ii"), duration=args.duration, pids=server.pids)
    if content is None:
        return {"uploads": 0, **await chat}
    # Connecting 200 sockets comes first (a few seconds): the uploads wait for the sending to be under way.
    result, seconds = await asyncio.gather(chat, uploads_later(server.servers[0].url, content, args.upload_after))
    return {
        "uploads": len(seconds),
        "upload_s_median": round(sorted(seconds)[len(seconds) // 2], 2),
        "upload_s_max": round(max(seconds), 2),
        "busy": len(BUSY),
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--upload-after", type=float, default=6.0, help="seconds from the start (connects included)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    content = photo()
    rows = []
    for with_uploads in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            env = server_env(
                DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
                DJANGO_MEDIA_ROOT=str(workdir / "media"),
                UPLOAD_RATE_LIMIT="1000",
                **BENCH_ENV,
            )
            migrate(env)
            server = Chatsite(env, 1, workdir).start()
            try:
                row = asyncio.run(workload_with_uploads(server, args, content if with_uploads else None))
            finally:
                server.stop()
                for line in server.faults()[:20]:
                    print("server fault:", line)
            row["uptime"] = uptime()
            rows.append(row)
    for row in rows:
        keys = ["uploads", "upload_s_median", "upload_s_max", "busy", "p50_ms", "p95_ms", "p99_ms", "max_ms", "lost"]
        print(json.dumps({k: row.get(k) for k in [*keys, "deliveries_per_s", "uptime"]}))
    if args.json:
        with args.json.open("a") as handle:
            for row in rows:
                handle.write(json.dumps({"bench": "uploads", **row}) + "\n")


if __name__ == "__main__":
    main()
