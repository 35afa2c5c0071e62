"""Render the site's PNG icons (static/icons/) from their hand-written SVGs.

Run it once after changing an SVG and commit the PNGs: serving the site needs
neither this command nor a browser. It needs the development requirements
(Playwright) and Debian's Chromium, as the browser tests do.
"""

import base64
import struct
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# (the SVG in static/icons/, the PNG written next to it, its width and height in pixels)
RENDERS = [
    ("icon.svg", "favicon-32.png", 32),
    ("icon.svg", "icon-192.png", 192),
    ("icon.svg", "icon-512.png", 512),
    # Opaque, to the edges: iOS and Android crop home-screen icons to their own shape.
    ("icon-maskable.svg", "apple-touch-icon.png", 180),
    ("icon-maskable.svg", "icon-maskable-512.png", 512),
]

PAGE = (
    "<!doctype html><html><head><style>html, body {{ margin: 0; background: transparent; }}"
    " img {{ display: block; width: {size}px; height: {size}px; }}</style></head>"
    '<body><img src="data:image/svg+xml;base64,{svg}" alt=""></body></html>'
)


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's (width, height), from its IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


class Command(BaseCommand):
    help = "Render static/icons/*.png from the icon SVGs with headless Chromium (see static/icons/README.md)."

    def add_arguments(self, parser):
        parser.add_argument("--icons", type=Path, default=Path(settings.BASE_DIR) / "static" / "icons")
        parser.add_argument("--chromium", default=CHROMIUM, help=f"the browser to render with (default {CHROMIUM})")

    def handle(self, *args, icons: Path, chromium: str, **options):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as error:
            raise CommandError("make_icons needs Playwright: pip install -r requirements-dev.txt") from error
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                for source, target, size in RENDERS:
                    data = self.render(browser, (icons / source).read_bytes(), size)
                    if png_size(data) != (size, size):
                        raise CommandError(f"{target} came out {png_size(data)}, not {size}×{size}")
                    (icons / target).write_bytes(data)
                    self.stdout.write(f"{source} → {target} ({size}×{size})")
            finally:
                browser.close()

    def render(self, browser, svg: bytes, size: int) -> bytes:
        """The SVG drawn at exactly size × size CSS pixels, one device pixel each, on a transparent page."""
        from playwright.sync_api import Error as PlaywrightError

        page = browser.new_page(viewport={"width": size, "height": size}, device_scale_factor=1, color_scheme="light")
        try:
            page.set_content(PAGE.format(size=size, svg=base64.b64encode(svg).decode()))
            try:
                page.evaluate("() => document.images[0].decode()")
            except PlaywrightError as error:
                raise CommandError(f"the SVG does not load as an image (is it well-formed XML?): {error}") from error
            return page.screenshot(omit_background=True, clip={"x": 0, "y": 0, "width": size, "height": size})
        finally:
            page.close()
