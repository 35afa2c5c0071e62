"""Run the Autobahn|Testsuite cases against daphne serving chatsite, and report.

Starts daphne with the README's limits on bench/echo_asgi.py (chatsite's ASGI
application plus an echo socket at /ws/echo/, which the cases need) and a
throwaway SQLite database, drives the selected cases with kosoku (a Python 3
fuzzing client that runs the Autobahn case files natively), prints a summary,
and writes one JSON line per case to bench/results/autobahn.jsonl.
Everything listens on 127.0.0.1 and stops itself.

    python -m bench.autobahn                      # sections 1-7
    python -m bench.autobahn --cases '9.*'        # big messages: over 256 KiB is refused (1009) by design

Exit status 1 if a case failed other than the ones docs/security.md explains
(KNOWN_FAILURES).
"""

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from rooms.tests.support.servers import BASE_DIR, DAPHNE, DAPHNE_LIMITS, ChatServer, migrate, server_env

SECTIONS_1_TO_7 = [f"{section}.*" for section in range(1, 8)]
# Daphne does not send an empty message: its handle_reply skips a falsy "text"
# or "bytes", so an echo of "" never leaves. chatsite never sends one.
KNOWN_FAILURES = {"1.1.1", "1.2.1", "6.1.1", "6.1.2"}
RESULTS = BASE_DIR / "bench" / "results" / "autobahn.jsonl"


@contextlib.contextmanager
def echo_server(workdir: Path) -> Iterator[ChatServer]:
    """daphne on bench.echo_asgi:application, as the README runs chatsite, with its own SQLite file."""
    env = server_env(DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}")
    migrate(env)
    server = ChatServer(env, workdir / "daphne.log")
    server.command = [DAPHNE, "-b", "127.0.0.1", "-p", str(server.port), *DAPHNE_LIMITS, "bench.echo_asgi:application"]
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_cases(cases: list[str], *, parallelism: int = 4, timeout: float = 600) -> tuple[list[dict], str]:
    """Run `cases` against a fresh echo server; (one dict per case, the server's log)."""
    from kosoku import FailureError, run_fuzzingclient

    with tempfile.TemporaryDirectory(prefix="chatsite-autobahn-") as tmp, echo_server(Path(tmp)) as server:
        url = f"ws://127.0.0.1:{server.port}/ws/echo/"
        try:
            results = asyncio.run(asyncio.wait_for(run_fuzzingclient(url, cases, concurrency=parallelism), timeout))
        except FailureError as failure:  # some case failed; it carries every case's result
            results = failure.results
        rows = [
            {
                "case": result.case_id,
                "behavior": result.behavior.value,
                "close": result.behavior_close.value,
                "remote_close_code": result.remote_close_code,
                "description": result.description,
                "result": result.result,
            }
            for result in results
        ]
        return sorted(rows, key=lambda row: [int(part) for part in row["case"].split(".")]), server.log()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", action="append", help="case id or glob (repeatable); default: sections 1-7")
    parser.add_argument("--parallelism", type=int, default=4)
    args = parser.parse_args()
    try:
        import kosoku  # noqa: F401
    except ImportError:
        print("bench/autobahn.py needs kosoku: pip install -r requirements-dev.txt", file=sys.stderr)
        return 2
    rows, log = run_cases(args.cases or SECTIONS_1_TO_7, parallelism=args.parallelism)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("".join(json.dumps(row) + "\n" for row in rows))
    verdicts = Counter((row["behavior"], row["close"]) for row in rows)
    print(f"{len(rows)} cases against daphne serving chatsite (details: {RESULTS.relative_to(BASE_DIR)})")
    for (behavior, close), count in verdicts.most_common():
        print(f"  {count:4}  behavior {behavior:<14} close {close}")
    unexpected = [row for row in rows if row["behavior"] in ("FAILED", "ERROR") and row["case"] not in KNOWN_FAILURES]
    for row in rows:
        if row["behavior"] not in ("OK",) or row["close"] != "OK":
            known = " (known: daphne never sends an empty message)" if row["case"] in KNOWN_FAILURES else ""
            print(f"  {row['case']:>8} {row['behavior']}/{row['close']}: {row['description'][:70]}{known}")
    faults = [line for line in log.splitlines() if "Traceback" in line or " ERROR " in line]
    if faults:
        print("the server logged faults:\n" + "\n".join(faults))
    return 1 if unexpected or faults else 0


if __name__ == "__main__":
    sys.exit(main())
