"""Image decoding throughput: the Python PNG decoder vs the browser's (``decode_image_async``).

    python bench/bench_images.py [--json] [--seconds S]
    node tools/pyodide/pyrun.mjs --runtime chromium --wheel-dir dist \\
        --wheel-dir .cache/pyodide-wheels bench/bench_images.py [--json]

Makes RGB PNGs of 64×64 and 256×256 (a gradient with noise, zlib level 6, filter 'Sub'; no
Pillow needed), decodes each repeatedly for about ``--seconds`` per case, and prints images/s and megapixels/s for the
Python decoder and, where there is a browser (Chromium page), the browser's decoder, one
image at a time and 8 at once (``asyncio.gather``: the browser decodes on its own threads);
ratios are browser over Python. Each figure is the median of 5 rounds. Natively and under
Node.js only the Python row is printed.
"""

from __future__ import annotations

import asyncio
import json
import random
import struct
import sys
import time
import zlib
from typing import Any

from torsh_data._runtime import runtime_name
from torsh_data.io import browser_decoding, decode_image_async


def png(size: int, seed: int = 0) -> bytes:
    rnd = random.Random(seed)
    rows = []
    for y in range(size):
        raw = bytearray()
        for x in range(size):
            raw += bytes(((x + y + rnd.randrange(8)) % 256, (2 * y) % 256, (3 * x) % 256))
        sub = bytearray(raw)  # filter 1 (Sub): each byte minus the one 3 to its left
        for i in range(3, len(raw)):
            sub[i] = (raw[i] - raw[i - 3]) % 256
        rows.append(b"\x01" + bytes(sub))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )


async def rate(data: bytes, backend: str, seconds: float, at_once: int = 1) -> float:
    """Images per second: the median of 5 rounds of ``seconds / 5`` (the machine is shared)."""
    await decode_image_async(data, backend=backend)  # warm-up
    rounds = []
    for _ in range(5):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 5:
            await asyncio.gather(
                *(decode_image_async(data, backend=backend) for _ in range(at_once))
            )
            n += at_once
        rounds.append(n / elapsed)
    return sorted(rounds)[2]


async def main(seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {"runtime": runtime_name()}
    backends = ["python"] + (["browser"] if browser_decoding() else [])
    for size in (64, 256):
        data = png(size)
        case: dict[str, Any] = {"png_bytes": len(data)}
        runs = [(b, 1) for b in backends] + ([("browser", 8)] if "browser" in backends else [])
        for backend, at_once in runs:
            per_s = await rate(data, backend, seconds, at_once)
            name = backend if at_once == 1 else f"{backend}_{at_once}_at_once"
            case[name] = {"images_per_s": round(per_s, 1),
                          "mpixels_per_s": round(per_s * size * size / 1e6, 2)}  # fmt: skip
            if backend == "browser":
                case[f"{name}_over_python"] = round(per_s / case["python"]["images_per_s"], 2)
        out[f"{size}x{size}"] = case
    return out


if __name__ == "__main__":
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 2.0
    result = asyncio.run(main(seconds))
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
