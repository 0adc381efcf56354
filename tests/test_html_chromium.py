"""The seed exam's HTML in a real browser: headless Chromium lays the page out and takes a
screenshot, and the PNG (decoded here with zlib and NumPy, no imaging library) must show a
laid-out page: ink on many lines from top to bottom, the stylesheet's colours, and not a
blank or an error page.

Skipped when no Chromium is installed (.ci/run installs Debian's `chromium`).
"""
from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from derive.render import render
from solved import solved

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1200, 3000


def decode_png(data: bytes) -> np.ndarray:
    """An 8-bit RGB or RGBA, non-interlaced PNG as an (height, width, channels) uint8 array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(height, 1 + width * bpp)
    out = np.zeros((height, width * bpp), dtype=np.uint8)
    prev = np.zeros(width * bpp, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:                                   # None
            cur = line
        elif kind == 1:                                 # Sub: running sum per channel
            cur = np.cumsum(line.reshape(width, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:                                 # Up
            cur = (line + prev) % 256
        else:                                           # Average, Paeth: left to right
            cur = line.copy()
            for i in range(len(cur)):
                a = int(cur[i - bpp]) if i >= bpp else 0
                b = int(prev[i])
                if kind == 3:
                    cur[i] = (cur[i] + (a + b) // 2) % 256
                else:
                    c = int(prev[i - bpp]) if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) % 256
        out[y] = cur
        prev = cur
    return out.reshape(height, width, bpp)


def test_png_decoder_against_an_uncompressed_reference():
    """The decoder's filters, checked on an image we encode ourselves with every filter type."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(6, 5, 3), dtype=np.uint8)
    rows = []
    prev = np.zeros(15, dtype=np.int32)
    for y in range(6):
        cur = img[y].reshape(-1).astype(np.int32)
        kind = y % 5
        left = np.concatenate([np.zeros(3, dtype=np.int32), cur[:-3]])
        upleft = np.concatenate([np.zeros(3, dtype=np.int32), prev[:-3]])
        if kind == 0:
            f = cur
        elif kind == 1:
            f = cur - left
        elif kind == 2:
            f = cur - prev
        elif kind == 3:
            f = cur - (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            f = cur - np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        rows.append(bytes([kind]) + (f % 256).astype(np.uint8).tobytes())
        prev = cur

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 5, 6, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))
    assert (decode_png(png) == img).all()


def screenshot(html: Path, png: Path, tmp: Path) -> None:
    profile = tmp / "profile"
    profile.mkdir()
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
           f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}",
           html.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert png.is_file(), f"chromium wrote no screenshot (exit {proc.returncode}):\n{proc.stderr[-2000:]}"


def test_seed_exam_html_is_laid_out_in_chromium(tmp_path):
    solution = solved(ROOT / "examples" / "seed-exam.spec")
    page = tmp_path / "exam.html"
    page.write_text(render(solution, "html"), encoding="utf-8")
    png = tmp_path / "exam.png"
    screenshot(page, png, tmp_path)
    data = png.read_bytes()
    assert len(data) > 100_000, f"a {len(data)}-byte screenshot is blank or nearly"
    img = decode_png(data)[:, :, :3].astype(np.int32)
    assert img.shape == (HEIGHT, WIDTH, 3)
    ink = img.min(axis=2) < 160                          # dark pixels: text, rules, maths
    rows = ink.any(axis=1)
    assert 0.005 < ink.mean() < 0.25, f"{ink.mean():.3%} of the page is ink"
    assert rows.sum() > 800, f"ink on only {rows.sum()} of {HEIGHT} pixel rows"
    assert rows[:HEIGHT // 3].sum() > 200 and rows[-HEIGHT // 3:].sum() > 200   # top to bottom, not one block
    columns = np.flatnonzero(ink.any(axis=0))
    assert columns.min() > 50 and columns.max() < WIDTH - 50   # a centred column with margins
    assert img.std() > 20
    # the stylesheet is applied: the green left rule of the answers (#1a7f37) is on the page
    green = (np.abs(img - np.array([0x1A, 0x7F, 0x37])).sum(axis=2) < 30)
    assert green.sum() > 100


def test_a_blank_page_fails_the_checks(tmp_path):
    """The checks above can fail: an empty page's screenshot has no ink."""
    page = tmp_path / "blank.html"
    page.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    png = tmp_path / "blank.png"
    screenshot(page, png, tmp_path)
    img = decode_png(png.read_bytes())[:, :, :3]
    assert (img.min(axis=2) < 160).sum() == 0
