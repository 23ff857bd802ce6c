"""``decode_image_async``: the browser's decoders (Chromium) against this package's Python PNG
decoder, pixel for pixel; the Python path natively and in Pyodide under Node.js; hostile
headers refused before decoding; the async pipeline (``AsyncMapDataset``) over tar shards.

JPEG/WebP in Chromium against Pillow's decode: ``tests/runtimes/images.test.mjs``.
"""

from __future__ import annotations

import asyncio
import io
import struct
import tarfile
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import run

from torsh_data import DataLoader, DataValueError, FormatError, MissingExtraError
from torsh_data._runtime import runtime_name
from torsh_data.formats import TarDataset, decode_image
from torsh_data.formats import image as image_module
from torsh_data.io import (
    AsyncMapDataset,
    _images,
    browser_decoding,
    decode_image_async,
    decode_images_async,
)

IN_BROWSER = runtime_name() == "pyodide-browser"


# --- a minimal PNG writer (test scaffolding; the decoders are what is compared) -----------
def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(
    width: int,
    height: int,
    colour: int,
    depth: int,
    samples: bytes,
    palette: bytes = b"",
    trns: bytes = b"",
) -> bytes:
    """A PNG of ``samples`` (one int per sample, row-major, already within ``depth`` bits);
    filter type varies by row so the decoders' unfiltering is exercised (as 'None' rows)."""
    per_pixel = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    row_samples = width * per_pixel
    rows = []
    for y in range(height):
        row = samples[y * row_samples : (y + 1) * row_samples]
        if depth == 16:
            packed = b"".join(struct.pack(">H", v * 257) for v in row)
        elif depth == 8:
            packed = bytes(row)
        else:
            bits = "".join(format(v, f"0{depth}b") for v in row)
            bits += "0" * (-len(bits) % 8)
            packed = int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
        rows.append(b"\x00" + packed)
    out = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    )
    if palette:
        out += chunk(b"PLTE", palette)
    if trns:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")


def pattern(n: int, top: int, seed: int = 1) -> bytes:
    return bytes((i * 37 + seed * 11 + (i // 7) * 5) % (top + 1) for i in range(n))


W, H = 13, 7
CASES = {
    "grey1": make_png(W, H, 0, 1, pattern(W * H, 1)),
    "grey2": make_png(W, H, 0, 2, pattern(W * H, 3)),
    "grey4": make_png(W, H, 0, 4, pattern(W * H, 15)),
    "grey8": make_png(W, H, 0, 8, pattern(W * H, 255)),
    "grey16": make_png(W, H, 0, 16, pattern(W * H, 255)),
    "rgb8": make_png(W, H, 2, 8, pattern(W * H * 3, 255)),
    "rgb16": make_png(W, H, 2, 16, pattern(W * H * 3, 255)),
    "palette1": make_png(W, H, 3, 1, pattern(W * H, 1), palette=bytes([9, 99, 199, 250, 5, 60])),
    "palette4": make_png(W, H, 3, 4, pattern(W * H, 15), palette=pattern(48, 255, 3)),
    "palette8": make_png(W, H, 3, 8, pattern(W * H, 255), palette=pattern(768, 255, 4)),
    "palette_trns": make_png(
        W, H, 3, 8, pattern(W * H, 3), palette=pattern(12, 255, 5), trns=bytes([0, 128, 255])
    ),
    "grey_alpha8": make_png(W, H, 4, 8, pattern(W * H * 2, 255)),
    "rgba_opaque": make_png(
        W, H, 6, 8, bytes(v if i % 4 != 3 else 255 for i, v in enumerate(pattern(W * H * 4, 255)))
    ),
    "rgba_translucent": make_png(W, H, 6, 8, pattern(W * H * 4, 255)),
}
OPAQUE = {"grey1", "grey2", "grey4", "grey8", "rgb8", "palette1", "palette4", "palette8",
          "rgba_opaque"}  # fmt: skip


@pytest.fixture
def browser_only_for_opaque(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    """In Chromium, make the Python fallback fail for opaque 8-bit PNGs: what is compared is
    then surely the browser's decode."""

    def no_fallback(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the browser path fell back to Python")

    if IN_BROWSER and request.node.callspec.params["case"] in OPAQUE:
        monkeypatch.setattr(_images, "decode_image", no_fallback)


@pytest.mark.needs_jspi(
    reason="awaits the browser's image decoder (createImageBitmap) from a synchronous test"
)
@pytest.mark.parametrize("mode", [None, "L", "LA", "RGB", "RGBA"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_png_equals_python_decoder(
    case: str, mode: str | None, browser_only_for_opaque: Any
) -> None:
    data = CASES[case]
    expected = decode_image(data, mode=mode)
    got = run(decode_image_async(data, mode=mode))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()


def test_browser_decoding_per_runtime() -> None:
    assert browser_decoding() is IN_BROWSER
    if not IN_BROWSER:
        with pytest.raises(DataValueError, match="browser"):
            run(decode_image_async(CASES["rgb8"], backend="browser"))


def test_python_backend_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_browser(*args: Any) -> Any:
        raise AssertionError("backend='python' used the browser")

    def no_pillow(*args: Any) -> Any:
        raise AssertionError("backend='python' had Pillow unfilter the PNG")

    monkeypatch.setattr(_images, "_browser_rgba", no_browser)
    monkeypatch.setattr(image_module, "_png_pillow", no_pillow)
    for data in CASES.values():
        got = run(decode_image_async(data, backend="python"))
        assert got.tobytes() == decode_image(data, backend="python").tobytes()
    assert run(decode_image_async(b"P2 1 1 255 9")).tolist() == [[[9]]]  # PGM: Python


@pytest.mark.needs_jspi(
    reason="awaits the browser's image decoder (createImageBitmap) from a synchronous test"
)
@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.sampled_from([(0, 1), (2, 3), (6, 4)]),
    st.randoms(use_true_random=False),
)
def test_random_opaque_pngs(width: int, height: int, kind: tuple[int, int], rnd: Any) -> None:
    colour, channels = kind
    samples = bytearray(rnd.randrange(256) for _ in range(width * height * channels))
    if channels == 4:
        samples[3::4] = b"\xff" * (width * height)
    data = make_png(width, height, colour, 8, bytes(samples))
    got = run(decode_image_async(data))
    assert got.shape == (height, width, channels)
    assert got.tobytes() == bytes(samples) == decode_image(data).tobytes()


# --- bad input --------------------------------------------------------------------------
def huge_png(width: int, height: int) -> bytes:
    return make_png(1, 1, 2, 8, b"\x00\x00\x00").replace(
        chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)),
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
    )


def huge_jpeg() -> bytes:
    # SOI, a baseline SOF0 claiming 60000×60000×3, then nothing useful
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 60000, 60000, 3) + b"\x01\x11\x00" * 3
    return b"\xff\xd8" + sof + b"\xff\xd9"


@pytest.mark.parametrize("backend", ["auto", "python"])
def test_huge_dimensions_refused_before_decoding(backend: str) -> None:
    with pytest.raises(FormatError, match="max_pixels"):
        run(decode_image_async(huge_png(100_000, 100_000), backend=backend))
    with pytest.raises(FormatError, match="max_pixels"):
        run(decode_image_async(CASES["rgb8"], max_pixels=W * H - 1, backend=backend))


def test_huge_jpeg_refused() -> None:
    try:
        run(decode_image_async(huge_jpeg(), name="big.jpg"))
    except MissingExtraError:
        assert not IN_BROWSER  # no Pillow in Pyodide under Node.js: the message says so
    except FormatError as e:
        assert "max_pixels" in str(e) or "cannot" in str(e)
    else:
        raise AssertionError("a 60000×60000 JPEG was decoded")


@pytest.mark.parametrize(
    "data",
    [
        CASES["rgb8"][:60],  # truncated inside IDAT
        CASES["rgb8"][:-12],  # no IEND
        CASES["rgb8"][:20],  # truncated header
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # garbage after the signature
        CASES["rgb8"].replace(b"IDAT", b"IDAX"),  # no image data chunk
        b"RIFF\x10\x00\x00\x00WEBPVP8 ",  # truncated WebP header
        b"",
        b"GIF89a",
    ],
)
def test_corrupt_images(data: bytes) -> None:
    with pytest.raises((FormatError, MissingExtraError)) as info:
        run(decode_image_async(data, name="bad.img"))
    if IN_BROWSER or info.type is MissingExtraError:
        return
    assert info.type is FormatError


def test_corrupt_png_in_browser_is_format_error() -> None:
    for data in (CASES["rgb8"][:60], CASES["rgba_opaque"][:-20], b"\x89PNG\r\n\x1a\n" + b"\0" * 40):
        with pytest.raises(FormatError):
            run(decode_image_async(data))


def test_bad_arguments() -> None:
    with pytest.raises(DataValueError):
        run(decode_image_async(CASES["rgb8"], mode="CMYK"))
    with pytest.raises(DataValueError):
        run(decode_image_async(CASES["rgb8"], backend="gpu"))
    with pytest.raises(DataValueError):
        AsyncMapDataset([1], fn=42)  # type: ignore[arg-type]


# --- the async pipeline -----------------------------------------------------------------
def tar_of(samples: dict[str, dict[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for key, members in samples.items():
            for ext, data in members.items():
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.needs_jspi(
    reason="awaits the browser's image decoder (createImageBitmap) from a synchronous test"
)
def test_tar_pipeline_with_async_decoding() -> None:
    names = ["rgb8", "palette8", "rgba_opaque", "grey8"]
    shard = tar_of(
        {f"s{i}": {"png": CASES[n], "cls": str(i).encode()} for i, n in enumerate(names)}
    )
    tar = TarDataset(shard, decode={"png": None})  # images stay bytes: decoded below
    ds = AsyncMapDataset(tar, lambda s: decode_images_async(s, mode="RGB"))
    assert "AsyncMapDataset" in repr(ds)

    async def go() -> list[Any]:
        return [batch async for batch in DataLoader(ds, batch_size=2)]

    batches = run(go())
    assert len(batches) == 2
    images = batches[0]["png"].tolist() + batches[1]["png"].tolist()
    assert images == [decode_image(CASES[n], mode="RGB").tolist() for n in names]
    assert batches[1]["cls"].tolist() == [2, 3]
    with pytest.raises(TypeError, match="async"):
        list(DataLoader(ds, batch_size=2))


def test_async_map_over_every_kind_of_dataset() -> None:
    async def inc(x: int) -> int:
        return x + 1

    class AsyncSource:
        async def __aiter__(self) -> Any:
            for x in (5, 6):
                yield x

    async def collect(ds: Any) -> list[Any]:
        return [x async for x in ds]

    assert run(collect(AsyncMapDataset([1, 2], inc))) == [2, 3]  # map-style
    assert run(collect(AsyncMapDataset(iter([3]), inc))) == [4]  # iterable
    assert run(collect(AsyncMapDataset(AsyncSource(), inc))) == [6, 7]  # async iterable
    assert run(collect(AsyncMapDataset([1], str))) == ["1"]  # a plain function


@pytest.mark.needs_jspi(
    reason="awaits the browser's image decoder (createImageBitmap) from a synchronous test"
)
def test_decode_images_async_shapes() -> None:
    png = CASES["grey8"]
    sample = {"__key__": "k", "PNG": png, "seg.png": png, "txt": b"not an image", "cls": 1}
    out = run(decode_images_async(sample))
    assert out["PNG"].shape == out["seg.png"].shape == (H, W, 1)
    assert out["txt"] == b"not an image" and out["cls"] == 1
    pair = run(decode_images_async((png, 3)))
    assert isinstance(pair, tuple) and pair[0].shape == (H, W, 1) and pair[1] == 3
    assert run(decode_images_async([png]))[0].shape == (H, W, 1)
    with pytest.raises(FormatError, match=r"k\.png"):
        run(decode_images_async({"__key__": "k", "png": png[:30]}))


@pytest.mark.needs_jspi(
    reason="awaits the browser's image decoder (createImageBitmap) from a synchronous test"
)
def test_async_map_concurrency_keeps_order() -> None:
    running, peak = 0, 0

    async def slow(x: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (5 - x % 5))  # later samples finish first
        running -= 1
        return x * 10

    async def collect(ds: Any, stop: int | None = None) -> list[Any]:
        out = []
        async for x in ds:
            out.append(x)
            if stop is not None and len(out) == stop:
                break
        return out

    assert run(collect(AsyncMapDataset(range(20), slow, concurrency=4))) == [
        x * 10 for x in range(20)
    ]
    assert peak == 4
    peak = 0
    assert run(collect(AsyncMapDataset(range(20), slow))) == [x * 10 for x in range(20)]
    assert peak == 1
    assert run(collect(AsyncMapDataset(range(20), slow, concurrency=3), stop=2)) == [0, 10]
    with pytest.raises(DataValueError):
        AsyncMapDataset([1], slow, concurrency=0)


@pytest.mark.needs_jspi(
    reason="awaits the browser's image decoder (createImageBitmap) from a synchronous test"
)
def test_async_map_concurrent_image_decoding() -> None:
    images = [CASES[n] for n in sorted(CASES)] * 2
    ds = AsyncMapDataset(images, decode_image_async, concurrency=8)

    async def collect() -> list[Any]:
        return [x.tobytes() async for x in ds]

    assert run(collect()) == [decode_image(d).tobytes() for d in images]


# --- EXIF orientation (browsers apply it; decode_image does not: it is undone) -----------
def shown(stored: list[list[int]], orientation: int) -> list[list[int]]:
    """How a viewer shows ``stored`` under an EXIF orientation (the TIFF 6.0 / Exif 2.3
    definitions, written as coordinates)."""
    h, w = len(stored), len(stored[0])
    s = stored
    if orientation <= 4:
        return [
            [
                [s[y][x], s[y][w - 1 - x], s[h - 1 - y][w - 1 - x], s[h - 1 - y][x]][
                    orientation - 1
                ]
                for x in range(w)
            ]
            for y in range(h)
        ]
    pick = {
        5: lambda y, x: s[x][y],
        6: lambda y, x: s[h - 1 - x][y],
        7: lambda y, x: s[h - 1 - x][w - 1 - y],
        8: lambda y, x: s[x][w - 1 - y],
    }[orientation]
    return [[pick(y, x) for x in range(h)] for y in range(w)]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_unorient_undoes_each_exif_orientation(orientation: int) -> None:
    h, w = 3, 5
    stored = [[(y * w + x) * 0x01010101 for x in range(w)] for y in range(h)]
    view = shown(stored, orientation)
    flat = struct.pack(f"={len(view) * len(view[0])}I", *(p for row in view for p in row))
    back = _images._unorient(flat, len(view[0]), len(view), orientation)
    assert back == struct.pack(f"={h * w}I", *(p for row in stored for p in row))


@pytest.mark.native_only(reason="Pillow's ImageOps.exif_transpose as the reference")
@pytest.mark.parametrize("orientation", range(1, 9))
def test_unorient_against_pillow(orientation: int) -> None:
    from PIL import Image, ImageOps

    stored = Image.new("RGBA", (5, 3))
    stored.putdata([(i, 2 * i, 3 * i, 255) for i in range(15)])
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.info["exif"] = exif.tobytes()
    view = ImageOps.exif_transpose(stored)
    back = _images._unorient(view.tobytes(), view.width, view.height, orientation)
    assert back == stored.tobytes()


def tiff(order: str, orientation: int) -> bytes:
    head = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    entries = struct.pack(order + "HHIHH", 0x010F, 2, 1, 0, 0)  # another tag first
    entries += struct.pack(order + "HHIHH", 0x0112, 3, 1, orientation, 0)
    return head + struct.pack(order + "H", 2) + entries + b"\x00\x00\x00\x00"


@pytest.mark.parametrize("order", ["<", ">"])
def test_orientation_parsing(order: str) -> None:
    app1 = b"Exif\x00\x00" + tiff(order, 6)
    jpeg = b"\xff\xd8\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + b"\xff\xda\x00\x02"
    assert _images._orientation("JPEG", jpeg) == 6
    png = CASES["rgb8"]
    with_exif = png[:33] + chunk(b"eXIf", tiff(order, 8)) + png[33:]
    assert _images._orientation("PNG", with_exif) == 8 and _images._orientation("PNG", png) == 1
    body = b"VP8X" + struct.pack("<I", 10) + bytes(10)
    body += b"EXIF" + struct.pack("<I", len(tiff(order, 3))) + tiff(order, 3)
    webp = b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
    assert _images._orientation("WebP", webp) == 1  # Chromium ignores WebP's EXIF
    for hostile in (b"Exif\x00\x00II*\x00\xff\xff\xff\xff", tiff(order, 99), b"XX", b""):
        assert _images._tiff_orientation(hostile.removeprefix(b"Exif\x00\x00")) == 1
    assert decode_image(with_exif).tobytes() == decode_image(png).tobytes()
