"""numpy forms of the image batch kernels: the same bytes, fewer C calls per batch.

NOTE [ numpy kernels ]: the batch kernels (NOTE [ Batch kernels ] in ``_compose.py``) call
these when numpy is already imported (``sys.modules``; torsh-data never imports it). Each
does only what is exact in numpy: pure data movement (padding, crops as one gather from
the padded batch's sliding windows, flips as reversed views) and 256-entry lookup tables
whose float32 values are the pure path's table bytes. The parameters are drawn by the
caller, per sample from that sample's stream, exactly as without numpy (by numpy too, where
the streams are in lanes: NOTE [ Streams in numpy ] in ``_streams.py``; a crop and a flip
fused by ``FusedImage`` draw both from one mixing and mirror the crops in place), so a
batch is the same bytes with numpy or without, and for any batch size or worker count. The
results are held without a copy: a :class:`~torsh_data.Tensor` over the new array's memory.

>>> import numpy as np
>>> batch = bytes(range(2 * 3 * 3))  # two 3x3 images
>>> out = crops(np, batch, (2, 1, 3, 3, 1), (1, 1, 1, 1), (2, 2), [0, 8], 3, [b"\\xff"])
>>> bytes(out)  # image 0's top-left corner, image 1's bottom-right, padded with 255
b'\\xff\\xff\\xff\\x00\\r\\x0e\\x10\\x11'
>>> bytes(flips(np, batch, (2, 1, 3, 3, 1), [False, True], 3))[9:12]
b'\\x0b\\n\\t'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["crops", "flips", "framed", "lookup"]

Buffer = Any  # bytes, bytearray or a 1-D byte memoryview


def framed(
    np: Any,
    data: Buffer,
    shape: tuple[int, int, int, int, int],
    ltrb: tuple[int, int, int, int],
    fills: Sequence[bytes],
) -> Any:
    """The ``(N, P, H, W, u)`` batch in ``data`` padded by ``ltrb`` pixels, plane ``j`` with
    the ``u``-byte pixel ``fills[j % len(fills)]``: a new uint8 array (or ``data`` viewed
    as one when there is no padding)."""
    n, p, h, w, u = shape
    a = np.frombuffer(data, dtype=np.uint8).reshape(shape)
    if not any(ltrb):
        return a
    left, top, right, bottom = ltrb
    padded_shape = (n, p, h + top + bottom, w + left + right, u)
    pixels = b"".join([fills[j % len(fills)] for j in range(p)])
    if pixels.count(0) == len(pixels):
        padded = np.zeros(padded_shape, dtype=np.uint8)
    else:
        padded = np.empty(padded_shape, dtype=np.uint8)
        padded[...] = np.frombuffer(pixels, dtype=np.uint8).reshape(1, p, 1, 1, u)
    if a.size:  # the source rows copied as items of w * u bytes into the frame
        row = np.dtype((np.void, w * u))
        offset = (top * padded_shape[3] + left) * u
        inner = np.ndarray((n, p, h), row, padded, offset, padded.strides[:3])
        inner[...] = a.reshape(n, p, h, w * u).view(row).reshape(n, p, h)
    return padded


def crops(
    np: Any,
    data: Buffer,
    shape: tuple[int, int, int, int, int],
    ltrb: tuple[int, int, int, int],
    size: tuple[int, int],
    ks: Sequence[int],
    cols: int,
    fills: Sequence[bytes],
    mirrored: Any = None,
) -> memoryview:
    """Image ``i`` of the ``(N, P, H, W, u)`` batch in ``data``, padded by ``ltrb`` (see
    :func:`framed`), cropped to ``size`` at window position ``ks[i]`` (``top, left =
    divmod(ks[i], cols)``, as :class:`~torsh_data.transforms.RandomCrop` numbers them): one
    padded copy and one gather of window rows from a view of its sliding windows. With
    ``mirrored`` (a bool per image), the crops it chooses are then mirrored left-right in
    place (as :func:`flips` would, without copying the batch again)."""
    a = framed(np, data, shape, ltrb, fills)
    n, p, ph, pw, u = a.shape
    th, tw = size
    s0, s1, s2, s3, _ = a.strides
    windows = np.ndarray(  # (N, rows, cols, P, th): every window of every image, by rows
        (n, ph - th + 1, pw - tw + 1, p, th),
        np.dtype((np.void, tw * u)),  # a row of the window, copied as one item
        a,
        0,
        (s0, s2, s3, s1, s2),
    )
    tops, lefts = np.divmod(np.asarray(ks).astype(np.intp), cols)
    out = windows[np.arange(n), tops, lefts].view(np.uint8)
    if mirrored is not None:
        idx = np.flatnonzero(mirrored)
        if len(idx):
            images = out.reshape(n, p, th, tw, u)
            images[idx] = images[idx, :, :, ::-1]
    return memoryview(out).cast("B")


def flips(
    np: Any, data: Buffer, shape: tuple[int, int, int, int, int], chosen: Sequence[bool], axis: int
) -> memoryview:
    """The images ``i`` of the ``(N, P, H, W, u)`` batch in ``data`` with ``chosen[i]``
    reversed along ``axis`` (2: rows, upside down; 3: columns, left-right), the others as
    they are."""
    n = shape[0]
    a = np.frombuffer(data, dtype=np.uint8).reshape(shape)
    reverse: list[Any] = [slice(None)] * 5
    reverse[axis] = slice(None, None, -1)
    idx = np.flatnonzero(chosen)
    if len(idx) == n:
        return memoryview(np.ascontiguousarray(a[tuple(reverse)])).cast("B")
    out = a.copy()
    reverse[0] = idx
    out[idx] = a[tuple(reverse)]
    return memoryview(out).cast("B")


_LUTS: dict[tuple[bytes, ...], Any] = {}
_EXACT: dict[tuple[tuple[bytes, ...], float, float], bool] = {}


def lookup(
    np: Any,
    data: Buffer,
    shape: tuple[int, int, int, int],
    tables: Any,
    stats: Any = None,
) -> memoryview:
    """The ``(N, H, W, C)`` uint8 batch in ``data`` as ``(N, C, H, W)`` float32, channel
    ``k`` mapped through ``tables(k)``: four 256-byte ``translate`` tables whose byte ``j``
    of entry ``v`` is byte ``j`` of the float32 value (see ``float32_tables`` in
    ``_pixels.py``), so the result is the pure path's.

    ``stats(k)``, when given, is ``(mean, std)`` (float32 values) with which the table is
    ``float32((float32(v / 255) - mean) / std)``: a channel whose 256 table values that
    formula gives bit for bit, in numpy's float32 arithmetic, is computed by it (three
    vector operations instead of a gather); a channel where it does not uses the table.
    """
    n, h, w, c = shape
    a = np.frombuffer(data, dtype=np.uint8).reshape(shape)
    if c == 1:
        return memoryview(_channel(np, a.reshape(n, 1, h, w), tables(0), stats, 0)).cast("B")
    out = np.empty((n, c, h, w), dtype=np.float32)
    for k in range(c):
        out[:, k] = _channel(np, a[..., k], tables(k), stats, k)
    return memoryview(out).cast("B")


def _channel(np: Any, a: Any, four: tuple[bytes, ...], stats: Any, k: int) -> Any:
    """One channel of :func:`lookup`: ``a`` (uint8) through the table ``four``."""
    if stats is not None:
        mean, std = stats(k)
        key = (four, mean, std)
        exact = _EXACT.get(key)
        if exact is None:
            if len(_EXACT) > 64:
                _EXACT.clear()
            try:  # a formula that would warn (overflow, 0/0) is not used
                with np.errstate(all="raise"):
                    values = _affine(np, np.arange(256, dtype=np.uint8), mean, std)
                exact = values.tobytes() == _lut(np, four).tobytes()
            except FloatingPointError:
                exact = False
            _EXACT[key] = exact
        if exact:
            return _affine(np, a, mean, std)
    return _lut(np, four).take(a, mode="wrap")


def _affine(np: Any, a: Any, mean: float, std: float) -> Any:
    """``((a / 255) - mean) / std`` in float32, each operation rounded to float32."""
    out = a.astype(np.float32)  # exact: every uint8 is a float32
    np.divide(out, np.float32(255), out=out)
    if mean != 0.0:
        np.subtract(out, np.float32(mean), out=out)
    if std != 1.0:
        np.divide(out, np.float32(std), out=out)
    return out


def _lut(np: Any, four: tuple[bytes, ...]) -> Any:
    """The 256 float32 values whose bytes the four ``translate`` tables hold (kept)."""
    lut = _LUTS.get(four)
    if lut is None:
        if len(_LUTS) > 64:
            _LUTS.clear()
        raw = np.stack([np.frombuffer(b, dtype=np.uint8) for b in four], axis=1)
        lut = _LUTS[four] = np.ascontiguousarray(raw).view(np.float32).reshape(256)
    return lut
