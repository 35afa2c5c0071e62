"""What an uploaded 24-megapixel photo costs the server: rooms.media.keep (sniff, decode, draw again as
JPEG, thumbnail as WebP) on a 6000 × 4000 JPEG, in time and peak memory.

Each repetition runs in a fresh Python process, so its peak resident memory
(ru_maxrss) is that upload's alone: the figure is the peak while keeping it
minus the process's peak just before (Django set up, the file read into
memory). The photo is made by Pillow once (a gradient with noise, so it
compresses like a photo, not like a flat colour). Bounded: `--runs` processes
(default 5), one upload each.

    python -m bench.thumbnail [--runs 5] [--json FILE]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

CHILD = r"""
import io, json, resource, sys, time
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from rooms import media
data = open(sys.argv[1], "rb").read()
upload = SimpleUploadedFile("photo.jpg", data)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
kept = media.keep(upload)
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kib": after - before, "size": (kept.width, kept.height),
                  "stored_bytes": len(kept.data), "thumb_bytes": len(kept.thumb)}))
"""


def photo(path: Path) -> int:
    from PIL import Image

    noise = Image.effect_noise((6000, 4000), 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    Image.blend(noise, gradient, 0.6).save(path, format="JPEG", quality=90)
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        size = photo(path)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chatsite.settings", "DJANGO_MEDIA_ROOT": folder}
        results = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)],
                cwd=BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    seconds = [r["seconds"] for r in results]
    peaks = [r["peak_kib"] / 1024 for r in results]
    summary = {
        "bench": "thumbnail",
        "upload_bytes": size,
        "runs": len(results),
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds_max": round(max(seconds), 3),
        "peak_mib_median": round(statistics.median(peaks), 1),
        "peak_mib_max": round(max(peaks), 1),
        "stored_bytes": results[0]["stored_bytes"],
        "thumb_bytes": results[0]["thumb_bytes"],
        "uptime": Path("/proc/loadavg").read_text().strip(),
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        with args.json.open("a") as handle:
            handle.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
