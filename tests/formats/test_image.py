"""PNG and Netpbm decoding, against PNGs written by a small encoder in this file."""

from __future__ import annotations

import io
import struct
import sys
import tracemalloc
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import has_module

from torsh_data import DataValueError, FormatError, MissingExtraError, Tensor
from torsh_data.formats import image as image_module
from torsh_data.formats.image import _pillow_format, convert_mode, decode_image, decode_pnm
from torsh_data.formats.png import DEFAULT_MAX_PIXELS, decode_png, unfilter

HAS_PIL = has_module("PIL")
PIL_REASON = (
    "Pillow is not installed here (it is an optional extra; the test venvs and Pyodide's "
    "npm package do not carry it)"
)
needs_pillow = pytest.mark.skipif(not HAS_PIL, reason=PIL_REASON)
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


# --- a tiny PNG encoder ------------------------------------------------------------------
def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_row(values: list[int], depth: int) -> bytes:
    if depth == 8:
        return bytes(values)
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in values)
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(values), per):
        group = values[i : i + per] + [0] * (per - len(values[i : i + per]))
        byte = 0
        for v in group:
            byte = byte << depth | v
        out.append(byte)
    return bytes(out)


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows: list[bytes], bpp: int, filters: list[int]) -> bytes:
    out = bytearray()
    prior = bytes(len(rows[0])) if rows else b""
    for y, row in enumerate(rows):
        f = filters[y % len(filters)]
        out.append(f)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) >> 1, paeth(a, b, c))[f]
            out.append((x - pred) & 255)
        prior = row
    return bytes(out)


def encode_png(
    pixels: list[list[int]],
    width: int,
    color: int,
    depth: int,
    *,
    palette: bytes | None = None,
    trns: bytes | None = None,
    interlace: bool = False,
    filters: list[int] | None = None,
    level: int = 6,
) -> bytes:
    """``pixels``: one list of sample values per row (``width * channels`` each)."""
    ch = CHANNELS[color]
    height = len(pixels)
    bpp = max(1, ch * depth // 8)
    filters = filters or [0]
    if not interlace:
        data = filter_rows([pack_row(r, depth) for r in pixels], bpp, filters)
    else:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            sub = [
                [v for x in range(x0, width, dx) for v in pixels[y][x * ch : (x + 1) * ch]]
                for y in range(y0, height, dy)
            ]
            if sub and sub[0]:
                data += filter_rows([pack_row(r, depth) for r in sub], bpp, filters)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, int(interlace))
    body = chunk(b"IHDR", ihdr)
    if palette is not None:
        body += chunk(b"PLTE", palette)
    if trns is not None:
        body += chunk(b"tRNS", trns)
    return (
        b"\x89PNG\r\n\x1a\n"
        + body
        + chunk(b"IDAT", zlib.compress(data, level))
        + chunk(b"IEND", b"")
    )


def expected(pixels, width, color, depth, palette=None, trns=None):
    """What the decoder should give: (bytes, (h, w, c))."""
    flat = [v for row in pixels for v in row]
    if color == 3:
        alpha = (trns or b"") + b"\xff" * 256
        ch = 4 if trns else 3
        out = bytearray()
        for i in flat:
            out += palette[3 * i : 3 * i + 3] + (alpha[i : i + 1] if trns else b"")
        return bytes(out), (len(pixels), width, ch)
    if depth == 16:
        flat = [v >> 8 for v in flat]
    elif depth < 8:
        flat = [v * (255 // ((1 << depth) - 1)) for v in flat]
    return bytes(flat), (len(pixels), width, CHANNELS[color])


@st.composite
def png_cases(draw):
    color = draw(st.sampled_from(sorted(CHANNELS)))
    depth = draw(st.sampled_from(DEPTHS[color]))
    width = draw(st.integers(1, 11))
    height = draw(st.integers(1, 11))
    ch = CHANNELS[color]
    palette = trns = None
    top = (1 << depth) - 1
    if color == 3:
        entries = draw(st.integers(1, min(256, top + 1)))
        palette = draw(st.binary(min_size=3 * entries, max_size=3 * entries))
        top = entries - 1
        if draw(st.booleans()):
            trns = draw(st.binary(min_size=1, max_size=entries))
    pixels = [
        draw(st.lists(st.integers(0, top), min_size=width * ch, max_size=width * ch))
        for _ in range(height)
    ]
    filters = draw(st.lists(st.integers(0, 4), min_size=1, max_size=height))
    interlace = draw(st.booleans())
    return pixels, width, color, depth, palette, trns, filters, interlace


def case_png(case):
    pixels, width, color, depth, palette, trns, filters, interlace = case
    return encode_png(
        pixels,
        width,
        color,
        depth,
        palette=palette,
        trns=trns,
        interlace=interlace,
        filters=filters,
    )


# --- round trips -------------------------------------------------------------------------
@given(png_cases())
def test_png_round_trip(case):
    pixels, width, color, depth, palette, trns = case[:6]
    png = case_png(case)
    want, shape = expected(pixels, width, color, depth, palette, trns)
    img = decode_image(png)
    assert img.shape == shape and img.dtype.name == "uint8"
    assert img.tobytes() == want


@pytest.mark.parametrize("interlace", [False, True])
@pytest.mark.parametrize("color,depth", [(c, d) for c in sorted(DEPTHS) for d in DEPTHS[c]])
def test_every_color_type_and_depth(color, depth, interlace):
    ch, width, height = CHANNELS[color], 13, 9
    top = min((1 << depth) - 1, 9 if color == 3 else 1 << 16)
    pixels = [[(x * 7 + y * 3) % (top + 1) for x in range(width * ch)] for y in range(height)]
    palette = bytes(range(30)) if color == 3 else None
    trns = b"\x00\x80" if color == 3 and interlace else None
    png = encode_png(
        pixels,
        width,
        color,
        depth,
        palette=palette,
        trns=trns,
        interlace=interlace,
        filters=[0, 1, 2, 3, 4],
    )
    want, shape = expected(pixels, width, color, depth, palette, trns)
    img = decode_png(png)
    assert img == (bytearray(want), shape)


def test_gray_scaling_of_low_depths():
    for depth, top in ((1, 255), (2, 255), (4, 255)):
        png = encode_png([[0, (1 << depth) - 1]], 2, 0, depth)
        assert decode_image(png).tolist() == [[[0], [top]]]


def test_filters_one_by_one_on_wide_rows():
    width = 40
    pixels = [[(x * x + y * 31) % 256 for x in range(width * 3)] for y in range(6)]
    for f in range(5):
        png = encode_png(pixels, width, 2, 8, filters=[f])
        assert decode_image(png).tobytes() == bytes(v for r in pixels for v in r), f


def test_unfilter_matches_reference_per_filter():
    rows = [bytes((i * 37 + y * 11) % 256 for i in range(12)) for y in range(4)]
    for bpp in (1, 2, 3, 4, 6, 8):
        for f in range(5):
            raw = filter_rows(rows, bpp, [f])
            assert unfilter(raw, 12, 4, bpp) == rows, (bpp, f)


def test_split_idat_and_ancillary_chunks():
    pixels = [[1, 2, 3], [4, 5, 6]]
    png = encode_png(pixels, 3, 0, 8)
    sig, rest = png[:8], png[8:]
    ihdr = rest[:25]
    data = zlib.compress(b"\0\1\2\3\0\4\5\6")
    body = chunk(b"tEXt", b"k\0v") + chunk(b"IDAT", data[:3]) + chunk(b"IDAT", data[3:])
    assert decode_image(sig + ihdr + body + chunk(b"IEND", b"")).tobytes() == bytes(range(1, 7))


@pytest.mark.parametrize(
    "mode,channels,want",
    [
        ("L", 1, [[[77]]]),
        ("LA", 2, [[[77, 255]]]),
        ("RGB", 3, [[[77, 77, 77]]]),
        ("RGBA", 4, [[[77, 77, 77, 255]]]),
    ],
)
def test_mode_from_gray(mode, channels, want):
    img = decode_image(encode_png([[77]], 1, 0, 8), mode=mode)
    assert img.shape == (1, 1, channels) and img.tolist() == want


def test_mode_from_rgba_follows_pillow_formula():
    px = [10, 200, 30, 99, 255, 0, 128, 7]
    img = decode_image(encode_png([px], 2, 6, 8), mode="L")
    luma = [
        (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16
        for r, g, b in ((10, 200, 30), (255, 0, 128))
    ]
    assert img.tolist() == [[[luma[0]], [luma[1]]]]
    assert decode_image(encode_png([px], 2, 6, 8), mode="LA").tolist() == [
        [[luma[0], 99], [luma[1], 7]]
    ]
    assert decode_image(encode_png([px], 2, 6, 8), mode="RGB").tolist() == [
        [[10, 200, 30], [255, 0, 128]]
    ]


@given(st.integers(1, 4), st.integers(1, 4), st.binary(min_size=4, max_size=4 * 20))
def test_convert_mode_per_pixel(src, dst, data):
    n = len(data) // src
    data = data[: n * src]
    out = convert_mode(data, src, dst)
    assert len(out) == n * dst
    for i in range(n):
        p = data[i * src : (i + 1) * src]
        gray = p[0] if src <= 2 else (p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16
        rgb = [p[0]] * 3 if src <= 2 else list(p[:3])
        alpha = p[-1] if src in (2, 4) else 255
        want = {1: [gray], 2: [gray, alpha], 3: rgb, 4: [*rgb, alpha]}[dst]
        assert list(out[i * dst : (i + 1) * dst]) == want


def test_sources_path_and_file(tmp_path):
    png = encode_png([[1, 2], [3, 4]], 2, 0, 8)
    (tmp_path / "a.png").write_bytes(png)
    assert decode_image(tmp_path / "a.png").tolist() == [[[1], [2]], [[3], [4]]]
    assert decode_image(io.BytesIO(png)).tobytes() == b"\1\2\3\4"
    assert isinstance(decode_image(bytearray(png)), Tensor)


def test_bad_mode_argument():
    with pytest.raises(DataValueError, match="mode"):
        decode_image(encode_png([[1]], 1, 0, 8), mode="CMYK")


# --- bad input ---------------------------------------------------------------------------
GOOD = encode_png([[1, 2, 3, 4]] * 3, 2, 4, 8, filters=[1, 4])


def test_crc_mismatch_names_chunk_and_offset():
    bad = bytearray(GOOD)
    bad[8 + 25 + 10] ^= 0xFF  # inside the IDAT data
    with pytest.raises(FormatError, match=r"byte 33: CRC mismatch in chunk IDAT"):
        decode_image(bytes(bad), name="x.png")
    bad = bytearray(GOOD)
    bad[20] ^= 1  # IHDR
    with pytest.raises(FormatError, match="CRC mismatch in chunk IHDR"):
        decode_image(bytes(bad))


def test_every_truncation_fails():
    for cut in range(len(GOOD)):
        with pytest.raises(FormatError):
            decode_image(GOOD[:cut])


@pytest.mark.parametrize(
    "ihdr,match",
    [
        (struct.pack(">IIBBBBB", 0, 1, 8, 0, 0, 0, 0), "invalid size"),
        (struct.pack(">IIBBBBB", 1, 1 << 31, 8, 0, 0, 0, 0), "invalid size"),
        (struct.pack(">IIBBBBB", 1, 1, 8, 5, 0, 0, 0), "colour type 5"),
        (struct.pack(">IIBBBBB", 1, 1, 4, 2, 0, 0, 0), "bit depth 4"),
        (struct.pack(">IIBBBBB", 1, 1, 8, 0, 1, 0, 0), "compression"),
        (struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 2), "interlace"),
        (struct.pack(">IIBBBB", 1, 1, 8, 0, 0, 0), "13-byte IHDR"),
    ],
)
def test_bad_ihdr(ihdr, match):
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(FormatError, match=match):
        decode_image(png)


def test_huge_dimensions_refused_before_allocation():
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(FormatError, match="max_pixels"):
        decode_image(png)
    small = encode_png([[1, 2, 3]] * 3, 3, 0, 8)
    with pytest.raises(FormatError, match="max_pixels=8"):
        decode_image(small, max_pixels=8)
    assert decode_image(small, max_pixels=9).shape == (3, 3, 1)


def test_zlib_bomb_fails_fast():
    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)
    bomb = zlib.compress(bytes(50_000_000), 9)  # ~50 kB inflating to 50 MB
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", bomb) + chunk(b"IEND", b"")
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="more than the 20 bytes"):
            decode_image(png)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # the 50 MB it would inflate to are never allocated


@pytest.mark.parametrize(
    "mutate,match",
    [
        (lambda body: body.replace(b"IEND", b"IEND")[:-12], "before the IEND"),
        (lambda body: body[:33] + chunk(b"IDAT", b"not zlib") + body[33:], "corrupt image data"),
        (lambda body: body[:33] + chunk(b"ABCD", b"") + body[33:], "critical chunk ABCD"),
        (lambda body: body[:8] + chunk(b"tEXt", b"a") + body[8:], "first chunk must be"),
    ],
)
def test_malformed_structure(mutate, match):
    with pytest.raises(FormatError, match=match):
        decode_image(mutate(GOOD))


def test_short_image_data_and_bad_filter():
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0))
    for data, match in ((b"\0\1\2", "truncated image data"), (b"\0\1\2\7\1\2", "filter type 7")):
        png = (
            b"\x89PNG\r\n\x1a\n" + ihdr + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b"")
        )
        with pytest.raises(FormatError, match=match):
            decode_image(png)


def test_palette_errors():
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 3, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\0\0\5"))
    end = chunk(b"IEND", b"")
    sig = b"\x89PNG\r\n\x1a\n"
    with pytest.raises(FormatError, match="without a PLTE"):
        decode_image(sig + ihdr + idat + end)
    with pytest.raises(FormatError, match="palette entry 5 of a 2-entry"):
        decode_image(sig + ihdr + chunk(b"PLTE", bytes(6)) + idat + end)
    with pytest.raises(FormatError, match="bad PLTE"):
        decode_image(sig + ihdr + chunk(b"PLTE", bytes(5)) + idat + end)
    with pytest.raises(FormatError, match="tRNS has more"):
        decode_image(sig + ihdr + chunk(b"PLTE", bytes(6)) + chunk(b"tRNS", bytes(3)) + idat + end)


@pytest.mark.parametrize(
    "data", [b"", b"garbage!", b"\x89PNG\r\n\x1a", bytes(100), b"P7 1 1 255\n\0"]
)
def test_garbage_and_empty(data):
    with pytest.raises(FormatError):
        decode_image(data)


@given(st.binary(max_size=200))
def test_random_bytes_give_image_or_format_error(data):
    for blob in (data, b"\x89PNG\r\n\x1a\n" + data, b"P5 " + data, b"P3\n" + data):
        try:
            img = decode_image(blob)
        except FormatError:
            continue
        except MissingExtraError:
            assert not HAS_PIL and _pillow_format(blob) is not None
            continue
        assert isinstance(img, Tensor)


@given(png_cases(), st.data())
def test_mutated_image_data_gives_image_or_format_error(case, data):
    """Corrupt the inflated scanlines (filter bytes included) and fix up zlib and CRCs."""
    pixels, width = case[:2]
    png = case_png(case)
    start = png.index(b"IDAT") + 4
    length = struct.unpack(">I", png[start - 8 : start - 4])[0]
    raw = bytearray(zlib.decompress(png[start : start + length]))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))] + data.draw(st.binary(max_size=3))
    mutated = (
        png[: start - 8] + chunk(b"IDAT", zlib.compress(bytes(raw))) + png[start + length + 4 :]
    )
    try:
        img = decode_image(mutated)
    except FormatError:
        return
    assert img.numel() == len(pixels) * width * img.shape[2]


# --- Netpbm ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data,want",
    [
        (b"P1\n# c\n3 2\n0 1 0\n1 1 0\n", [[255, 0, 255], [0, 0, 255]]),
        (b"P1 3 2 010110", [[255, 0, 255], [0, 0, 255]]),
        (b"P4\n3 2\n" + bytes([0b01000000, 0b11000000]), [[255, 0, 255], [0, 0, 255]]),
        (b"P2\n3 1\n4\n0 2 4\n", [[0, 128, 255]]),
        (b"P5 3 1 255\n\x00\x10\xff", [[0, 16, 255]]),
        (b"P5 2 1 1000\n\x00\x00\x03\xe8", [[0, 255]]),
        (b"P2 2 1 65535 0 65535", [[0, 255]]),
    ],
)
def test_pnm_gray(data, want):
    img = decode_image(data)
    assert img.shape == (len(want), len(want[0]), 1)
    assert [[p[0] for p in row] for row in img.tolist()] == want


def test_pnm_color_and_comments(tmp_path):
    p3 = b"P3\n# a comment\n2 1 # trailing\n255\n1 2 3  4 5 6\n"
    assert decode_image(p3).tolist() == [[[1, 2, 3], [4, 5, 6]]]
    p6 = b"P6\n2 1\n255\n" + bytes([1, 2, 3, 4, 5, 6]) + b"trailing image ignored"
    (tmp_path / "x.ppm").write_bytes(p6)
    assert decode_image(tmp_path / "x.ppm").tolist() == [[[1, 2, 3], [4, 5, 6]]]
    assert decode_image(b"P6 1 1 15\n\x0f\x00\x08").tolist() == [[[255, 0, 136]]]


@pytest.mark.parametrize(
    "data,match",
    [
        (b"P5 2 2 255\n\1\2\3", "truncated raster"),
        (b"P2 2 1 255 1", "truncated raster"),
        (b"P2 2 1 7 1 9", "exceeds maxval 7"),
        (b"P5 0 2 255\n", "invalid Netpbm size"),
        (b"P5 2 2 70000\n", "maxval"),
        (b"P5 2 2", "header ends"),
        (b"P5 2 x 255", "no valid number"),
        (b"P5 99999999999 2 255", "no valid number"),
        (b"P5 2 1 255\x00\x01\x02", "no whitespace"),
        (b"P2 2 1 255 1 -1", "negative"),
        (b"P2 2 1 255 1 x", "not a number"),
        (b"P1 2 1 12", "0 and 1"),
        (b"P4 9 1\n\0", "truncated bitmap"),
        (b"P6 50000 50000 255\n", "max_pixels"),
    ],
)
def test_pnm_errors(data, match):
    with pytest.raises(FormatError, match=match):
        decode_image(data)


def test_decode_pnm_checks_magic():
    with pytest.raises(FormatError, match="not a Netpbm"):
        decode_pnm(b"P9 1 1 255\n\0")


@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 5), st.integers(1, 65535), st.data())
def test_pnm_round_trip(kind, width, height, maxval, data):
    ch = 3 if kind in (3, 6) else 1
    if kind in (1, 4):
        maxval = 1
    values = data.draw(
        st.lists(st.integers(0, maxval), min_size=width * height * ch, max_size=width * height * ch)
    )
    head = f"P{kind}\n{width} {height}\n" + ("" if kind in (1, 4) else f"{maxval}\n")
    if kind in (1, 2, 3):
        body = " ".join(map(str, values)).encode()
    elif kind == 4:
        body = b"".join(pack_row(values[r * width : (r + 1) * width], 1) for r in range(height))
    else:
        body = b"".join(struct.pack(">H" if maxval > 255 else "B", v) for v in values)
    pixels, shape = decode_pnm(head.encode() + body)
    if kind in (1, 4):
        want = [0 if v else 255 for v in values]
    else:
        want = [(v * 255 + maxval // 2) // maxval for v in values]
    assert shape == (height, width, ch) and list(pixels) == want


# --- other formats (Pillow) --------------------------------------------------------------
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


def test_jpeg_without_pillow_names_the_extra(monkeypatch):
    if HAS_PIL:  # make the installed Pillow unimportable; where it is absent, it already is
        monkeypatch.setitem(sys.modules, "PIL", None)
        monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(
        MissingExtraError, match=r"decoding JPEG needs Pillow.*torsh-data\[pillow\]"
    ):
        decode_image(JPEG_HEAD)


@needs_pillow
@pytest.mark.parametrize(
    "fmt,mode", [("JPEG", "RGB"), ("JPEG", "L"), ("GIF", "RGB"), ("BMP", "RGB"), ("TIFF", "RGBA")]
)
def test_pillow_formats_match_pillow(fmt, mode):
    from PIL import Image

    im = Image.frombytes(mode, (5, 3), bytes((i * 37) % 256 for i in range(15 * len(mode))))
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    ref = Image.open(io.BytesIO(buf.getvalue()))
    ref.load()
    if ref.mode not in ("L", "LA", "RGB", "RGBA"):
        ref = ref.convert("RGBA" if "transparency" in ref.info else "RGB")
    img = decode_image(buf.getvalue())
    assert img.shape == (3, 5, len(ref.mode)) and img.tobytes() == ref.tobytes()


@needs_pillow
def test_pillow_corrupt_jpeg_is_format_error():
    with pytest.raises(FormatError, match="cannot decode JPEG"):
        decode_image(JPEG_HEAD + b"\x00" * 40)


@needs_pillow
@given(png_cases())
def test_png_matches_pillow(case):
    from PIL import Image

    color, depth, trns = case[2], case[3], case[5]
    if depth == 16 or (depth < 8 and color == 0):
        return  # Pillow keeps 16-bit and unscaled low-depth grey in other modes
    png = case_png(case)
    ref = Image.open(io.BytesIO(png))
    ref = ref.convert("RGBA" if trns else "RGB") if ref.mode == "P" else ref
    assert decode_image(png).tobytes() == ref.tobytes()


@needs_pillow
@pytest.mark.parametrize("src,to", [(s, t) for s in range(1, 5) for t in range(1, 5) if s != t])
def test_convert_mode_matches_pillow(src, to):
    from PIL import Image

    modes = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
    data = bytes((i * 97 + i // 7) % 256 for i in range(300 * src))
    ref = Image.frombytes(modes[src], (300, 1), data).convert(modes[to]).tobytes()
    assert bytes(convert_mode(data, src, to)) == ref


# --- the Pillow path for PNG (natively, where Pillow is installed) ------------------------
@needs_pillow
@given(png_cases())
def test_pillow_unfilters_to_the_python_decoders_bytes(case):
    color, depth, interlace = case[2], case[3], case[7]
    png = case_png(case)
    fast = image_module._png_pillow(png, "<bytes>", DEFAULT_MAX_PIXELS)
    slow = decode_image(png, backend="python")
    assert (fast is not None) == (depth == 8 and color != 3 and not interlace)
    if fast is not None:
        assert bytes(fast[0]) == slow.tobytes() and fast[1] == slow.shape
    assert decode_image(png).tobytes() == slow.tobytes()


@needs_pillow
@pytest.mark.parametrize(
    "scanlines,match",
    [
        (b"\0\1\2\7\1\2", "filter type 7 on scanline 1"),  # Pillow refuses: we name the row
        (b"\0\1\2\0\1\2\0\0\0", "more than the 6 bytes"),  # Pillow would ignore the surplus
        (b"\0\1\2", "truncated image data: 3 of 6"),
    ],
)
def test_bad_png_data_fails_alike_on_both_paths(scanlines, match):
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(scanlines))
    png += chunk(b"IEND", b"")
    for backend in ("auto", "python"):
        with pytest.raises(FormatError, match=rf"cat\.png: .*{match}"):
            decode_image(png, name="cat.png", backend=backend)


@needs_pillow
def test_truncated_jpeg_names_the_file():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 10)).save(out, "JPEG", quality=90)
    whole = out.getvalue()
    for cut in (len(whole) // 2, len(whole) - 2, 30):
        with pytest.raises(FormatError, match=r"cat\.jpg: cannot decode JPEG"):
            decode_image(whole[:cut], name="cat.jpg")


def test_unknown_backend_is_refused():
    with pytest.raises(DataValueError, match="backend must be one of"):
        decode_image(b"P2 1 1 255 0", backend="pillow")
