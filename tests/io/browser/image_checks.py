"""Browser image decoding against Pillow, run by ``tests/runtimes/images.test.mjs``.

``image_checks.py make DIR`` (natively, with Pillow) writes images encoded by Pillow and,
beside each, Pillow's own decode (``<file>.raw``: the raw pixels, and ``<file>.json``: shape);
``image_checks.py check DIR`` (in Chromium) decodes each with the browser
(``decode_image_async(..., backend="browser")``) and prints, per file, the largest
difference from Pillow's pixels and whether shape and dtype agree. PNGs written by Pillow
are also compared with this package's Python decoder.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path
from typing import Any

#: name -> (Pillow mode, save format, save options)
IMAGES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "photo.jpg": ("RGB", "JPEG", {"quality": 90}),
    "photo444.jpg": ("RGB", "JPEG", {"quality": 95, "subsampling": 0}),
    "grey.jpg": ("L", "JPEG", {"quality": 90}),
    "oriented3.jpg": ("RGB", "JPEG", {"quality": 95, "orientation": 3}),
    "oriented6.jpg": ("RGB", "JPEG", {"quality": 95, "orientation": 6}),
    "oriented5.png": ("RGB", "PNG", {"orientation": 5}),
    "oriented8.webp": ("RGB", "WEBP", {"lossless": True, "orientation": 8}),
    "lossless.webp": ("RGB", "WEBP", {"lossless": True}),
    "lossy.webp": ("RGB", "WEBP", {"quality": 90}),
    "rgba_lossless.webp": ("RGBA", "WEBP", {"lossless": True}),
    "pillow_rgb.png": ("RGB", "PNG", {}),
    "pillow_l.png": ("L", "PNG", {}),
    "pillow_p.png": ("P", "PNG", {}),
    "pillow_la.png": ("LA", "PNG", {}),
    "pillow_rgba.png": ("RGBA", "PNG", {}),
}


def make(folder: Path) -> None:
    from PIL import Image

    rnd = random.Random(5)
    width, height = 64, 48
    base = Image.new("RGB", (width, height))
    base.putdata(
        [
            ((x * 4 + rnd.randrange(20)) % 256, (y * 5 + rnd.randrange(20)) % 256, (x * y) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    alpha = Image.new("L", (width, height))
    alpha.putdata([(x * 7 + y * 3) % 256 for y in range(height) for x in range(width)])
    for name, (mode, fmt, options) in IMAGES.items():
        im = base.convert(mode) if mode != "RGBA" else base.convert("RGBA")
        if mode in ("LA", "RGBA"):
            im.putalpha(alpha)
        if mode == "P":
            im = base.quantize(64)
        options = dict(options)
        if "orientation" in options:  # EXIF orientation: decoders must ignore it, as Pillow does
            exif = Image.Exif()
            exif[0x0112] = options.pop("orientation")
            options["exif"] = exif.tobytes()
        im.save(folder / name, fmt, **options)
        with Image.open(folder / name) as opened:
            opened.load()
            back: Any = opened
            if back.mode not in ("L", "LA", "RGB", "RGBA"):
                back = back.convert("RGBA" if "transparency" in back.info else "RGB")
            (folder / f"{name}.raw").write_bytes(back.tobytes())
            channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[back.mode]
            (folder / f"{name}.json").write_text(json.dumps([height, width, channels]))


async def check(folder: Path) -> dict[str, Any]:
    from torsh_data.formats import decode_image
    from torsh_data.io import decode_image_async

    out: dict[str, Any] = {}
    for name in IMAGES:
        data = (folder / name).read_bytes()
        shape = tuple(json.loads((folder / f"{name}.json").read_text()))
        ref = (folder / f"{name}.raw").read_bytes()
        got = await decode_image_async(data, backend="browser", name=name)
        fact: dict[str, Any] = {"shape": list(got.shape), "ref_shape": list(shape)}
        fact["dtype"] = got.dtype.name
        pix = got.tobytes()
        fact["max_diff"] = (
            max(map(lambda a, b: abs(a - b), pix, ref)) if len(pix) == len(ref) else None
        )
        fact["mean_diff"] = (
            sum(map(lambda a, b: abs(a - b), pix, ref)) / len(ref) if len(pix) == len(ref) else None
        )
        if shape[2] == 4 and len(pix) == len(ref):  # colour where opaque; alpha everywhere
            opaque = [i for i in range(3, len(ref), 4) if ref[i] == 255]
            fact["alpha_equal"] = pix[3::4] == ref[3::4]
            fact["max_diff_opaque"] = max(
                abs(pix[i - k] - ref[i - k]) for i in opaque for k in (1, 2, 3)
            )
            fact["opaque_pixels"] = len(opaque)
        if name.endswith(".png"):
            fact["equals_python_decoder"] = pix == decode_image(data).tobytes()
        out[name] = fact
    return out


if __name__ == "__main__":
    folder = Path(sys.argv[2])
    if sys.argv[1] == "make":
        make(folder)
    else:
        from torsh_data._runtime import runtime_name

        facts = asyncio.run(check(folder))
        facts["runtime"] = runtime_name()
        print(json.dumps(facts))
