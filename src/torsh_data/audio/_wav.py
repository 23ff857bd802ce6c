"""WAV files: :func:`load_wav` / :func:`save_wav` and :class:`AudioData`.

PCM 8-bit (unsigned), 16, 24 and 32-bit (signed) and IEEE float 32/64-bit, plain or
``WAVE_FORMAT_EXTENSIBLE``, parsed with :mod:`struct` and :mod:`array` (the stdlib ``wave``
module reads no float files). Samples come out as float32 ``(channels, frames)`` scaled as
torchaudio scales them: ``v / 2**(bits - 1)`` for signed PCM, ``(v - 128) / 128`` for 8-bit;
with numpy installed the same values (exact: every scale is a power of two) come faster.

>>> import io
>>> f = io.BytesIO()
>>> save_wav(f, Tensor([[0.0, 0.5, -1.0]]), 8000)
>>> audio = load_wav(f.getvalue())
>>> audio.sample_rate, audio.samples.shape, audio.samples.tolist()
(8000, (1, 3), [[0.0, 0.5, -1.0]])
"""

from __future__ import annotations

import array
import os
import struct
import sys
from typing import IO, Any

from .. import _dtype
from .._errors import DataTypeError, DataValueError, FormatError, ShapeError
from ..formats import DEFAULT_MAX_BYTES, read_bytes, source_name
from ..tensor import Tensor

__all__ = ["AudioData", "load_wav", "save_wav"]

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_LITTLE = sys.byteorder == "little"
#: cap on a WAV file's size: the RIFF limit (4 GiB), or the lower cap of every reader in
#: Pyodide (1 GiB, ``formats.DEFAULT_MAX_BYTES``), whose heap is a few GiB in all
MAX_WAV_BYTES = min(1 << 32, DEFAULT_MAX_BYTES)


class AudioData:
    """A waveform: float32 ``samples`` of shape ``(channels, frames)`` and its ``sample_rate``.

    >>> from torsh_data import Tensor
    >>> a = AudioData(Tensor([[0.0] * 8000]), 16000)
    >>> a.num_channels, a.num_frames, a.duration
    (1, 8000, 0.5)
    """

    __slots__ = ("sample_rate", "samples")

    def __init__(self, samples: Any, sample_rate: int) -> None:
        t = samples if isinstance(samples, Tensor) else Tensor(samples, dtype="float32")
        if t.ndim == 1:
            t = t.reshape(1, t.shape[0])
        if t.ndim != 2:
            raise ShapeError(f"audio samples are (channels, frames), got shape {t.shape}")
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate < 1:
            raise DataValueError(f"sample_rate must be an integer >= 1, got {sample_rate!r}")
        self.samples, self.sample_rate = t, sample_rate

    @property
    def num_channels(self) -> int:
        return self.samples.shape[0]

    @property
    def num_frames(self) -> int:
        return self.samples.shape[1]

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.num_frames / self.sample_rate

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, AudioData)
            and self.sample_rate == other.sample_rate
            and self.samples.equal(other.samples)
        )

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (AudioData, (self.samples, self.sample_rate))

    def __repr__(self) -> str:
        return f"AudioData({self.num_channels} channels, {self.num_frames} frames, {self.sample_rate} Hz)"


def _chunks(data: bytes, label: str) -> tuple[bytes, memoryview]:
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RF64") or data[8:12] != b"WAVE":
        raise FormatError(f"not a WAV file (starts with {data[:12]!r})", source=label, offset=0)
    fmt: bytes | None = None
    pos = 12
    view = memoryview(data)
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = pos + 8
        if kind == b"fmt ":
            if body + size > len(data):
                raise FormatError("truncated fmt chunk", source=label, offset=pos)
            fmt = data[body : body + size]
        elif kind == b"data":
            if fmt is None:
                raise FormatError("data chunk before the fmt chunk", source=label, offset=pos)
            if body + size > len(data):
                raise FormatError(
                    f"the data chunk claims {size} bytes, {len(data) - body} are there",
                    source=label,
                    offset=pos,
                )
            return fmt, view[body : body + size]
        pos = body + size + (size & 1)
    raise FormatError("no data chunk" if fmt else "no fmt chunk", source=label)


def _format(fmt: bytes, label: str) -> tuple[int, int, int, int]:
    """``(kind, channels, sample_rate, bits)`` from a fmt chunk."""
    if len(fmt) < 16:
        raise FormatError(f"a {len(fmt)}-byte fmt chunk (16 at least)", source=label)
    tag, channels, rate, _, block, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE:
        if len(fmt) < 40:
            raise FormatError("a WAVE_FORMAT_EXTENSIBLE fmt chunk under 40 bytes", source=label)
        (tag,) = struct.unpack_from("<H", fmt, 24)  # the GUID's first two bytes
    if tag not in (_PCM, _FLOAT):
        raise FormatError(f"WAV format tag {tag} (only PCM 1 and float 3 are read)", source=label)
    ok = {_PCM: (8, 16, 24, 32), _FLOAT: (32, 64)}[tag]
    if bits not in ok:
        raise FormatError(f"{bits}-bit {'PCM' if tag == _PCM else 'float'} samples", source=label)
    if channels < 1 or rate < 1 or block != channels * bits // 8:
        raise FormatError(
            f"inconsistent fmt chunk: {channels} channels, {rate} Hz, block {block}", source=label
        )
    return tag, channels, rate, bits


def _samples(raw: memoryview, tag: int, bits: int, normalize: bool) -> tuple[Any, _dtype.DType]:
    """The interleaved samples as a list (or numpy array) and their dtype."""
    if bits == 24:
        b = bytes(raw)
        # sign-extend each 3-byte sample to 4 bytes: the high byte is 0xFF when bit 23 is set
        wide = bytearray(len(b) // 3 * 4)
        wide[1::4], wide[2::4], wide[3::4] = b[0::3], b[1::3], b[2::3]
        vals = array.array("i", bytes(wide))
        if not _LITTLE:
            vals.byteswap()
        ints = [v >> 8 for v in vals]
        return (
            [v / 8388608 for v in ints] if normalize else ints
        ), _dtype.float32 if normalize else _dtype.int32
    code = {(_PCM, 8): "B", (_PCM, 16): "h", (_PCM, 32): "i", (_FLOAT, 32): "f", (_FLOAT, 64): "d"}[
        (tag, bits)
    ]
    np = sys.modules.get("numpy")
    if np is not None and normalize:
        a = np.frombuffer(
            raw, dtype="<" + {"B": "u1", "h": "i2", "i": "i4", "f": "f4", "d": "f8"}[code]
        )
        if code == "B":
            return (a.astype(np.float32) - np.float32(128)) / np.float32(128), _dtype.float32
        if code in "hi":
            return a.astype(np.float32) / np.float32(2.0 ** (bits - 1)), _dtype.float32
        return a.astype(np.float32), _dtype.float32
    vals = array.array(code, bytes(raw))
    if not _LITTLE and vals.itemsize > 1:
        vals.byteswap()
    if not normalize:
        dt = {
            "B": _dtype.uint8,
            "h": _dtype.int16,
            "i": _dtype.int32,
            "f": _dtype.float32,
            "d": _dtype.float64,
        }
        return vals.tolist(), dt[code]
    if code == "B":
        return [(v - 128) / 128 for v in vals], _dtype.float32
    if code in "hi":
        scale = 2.0 ** (bits - 1)
        return [v / scale for v in vals], _dtype.float32
    return vals.tolist(), _dtype.float32


def load_wav(source: Any, *, normalize: bool = True, name: str | None = None) -> AudioData:
    """Read a WAV file (path, binary file or bytes).

    Args:
        source: the WAV data.
        normalize: float32 in [-1, 1) (True), or the stored integers (uint8, int16, int32 for
            8, 16, 24/32-bit PCM; float files keep their float type).
        name: how errors name the source.

    Raises:
        FormatError: not a WAV file, an unsupported encoding, or truncated data.
    """
    label = source_name(source, name)
    data = read_bytes(source, name=label, max_bytes=MAX_WAV_BYTES)
    fmt, raw = _chunks(data, label)
    tag, channels, rate, bits = _format(fmt, label)
    frames = len(raw) // (channels * bits // 8)
    raw = raw[: frames * channels * bits // 8]
    vals, dt = _samples(raw, tag, bits, normalize)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(vals, np.ndarray):
        planar = np.ascontiguousarray(vals.reshape(frames, channels).T)
        t = Tensor._make(memoryview(planar.tobytes()), dt, (channels, frames))
    else:
        flat = vals if channels == 1 else [v for k in range(channels) for v in vals[k::channels]]
        t = Tensor._make(memoryview(dt.pack(flat)), dt, (channels, frames))
    return AudioData(t, rate)


def save_wav(
    target: str | os.PathLike[str] | IO[bytes],
    audio: AudioData | Tensor,
    sample_rate: int | None = None,
    *,
    bits_per_sample: int = 16,
    encoding: str = "pcm",
) -> None:
    """Write a WAV file.

    Float samples in [-1, 1] are scaled by ``2**(bits - 1)`` (8-bit: ``128`` and offset by
    128), rounded half to even and clamped to the integer range.

    Args:
        target: a path or a binary file.
        audio: an :class:`AudioData`, or a float ``(channels, frames)`` / ``(frames,)`` tensor.
        sample_rate: required with a tensor.
        bits_per_sample: 8, 16, 24 or 32 for ``"pcm"``; 32 or 64 for ``"float"``.
        encoding: ``"pcm"`` or ``"float"``.
    """
    if not isinstance(audio, AudioData):
        if sample_rate is None:
            raise DataValueError("save_wav needs sample_rate when given a tensor")
        audio = AudioData(audio, sample_rate)
    elif sample_rate is not None and sample_rate != audio.sample_rate:
        raise DataValueError(
            f"sample_rate {sample_rate} differs from the audio's {audio.sample_rate}"
        )
    if encoding not in ("pcm", "float"):
        raise DataValueError(f"encoding must be 'pcm' or 'float', got {encoding!r}")
    tag = _PCM if encoding == "pcm" else _FLOAT
    if bits_per_sample not in ((8, 16, 24, 32) if tag == _PCM else (32, 64)):
        raise DataValueError(f"{bits_per_sample}-bit {encoding} WAV files are not supported")
    t = audio.samples
    if t.dtype.kind == "b":
        raise DataTypeError("audio samples must be numbers, not bool")
    c, n = t.shape
    vals = t.dtype.unpack(t._data)
    inter = vals if c == 1 else [vals[k * n + i] for i in range(n) for k in range(c)]
    if tag == _FLOAT:
        payload = array.array("f" if bits_per_sample == 32 else "d", [float(v) for v in inter])
        if not _LITTLE:
            payload.byteswap()
        body = payload.tobytes()
    elif bits_per_sample == 8:
        body = bytes(min(max(round(v * 128) + 128, 0), 255) for v in inter)
    else:
        top = 1 << (bits_per_sample - 1)
        ints = [min(max(round(v * top), -top), top - 1) for v in inter]
        if bits_per_sample == 24:
            wide = array.array("i", ints)
            if not _LITTLE:
                wide.byteswap()
            b = wide.tobytes()
            packed = bytearray(len(ints) * 3)
            packed[0::3], packed[1::3], packed[2::3] = b[0::4], b[1::4], b[2::4]
            body = bytes(packed)
        else:
            arr = array.array("h" if bits_per_sample == 16 else "i", ints)
            if not _LITTLE:
                arr.byteswap()
            body = arr.tobytes()
    block = c * bits_per_sample // 8
    fmt = struct.pack(
        "<HHIIHH", tag, c, audio.sample_rate, audio.sample_rate * block, block, bits_per_sample
    )
    pad = b"\x00" if len(body) & 1 else b""
    out = b"".join(
        (
            b"RIFF",
            struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body) + len(pad)),
            b"WAVE",
            b"fmt ",
            struct.pack("<I", len(fmt)),
            fmt,
            b"data",
            struct.pack("<I", len(body)),
            body,
            pad,
        )
    )
    if isinstance(target, (str, os.PathLike)):
        tmp = os.fspath(target) + ".part"
        with open(tmp, "wb") as f:
            f.write(out)
        os.replace(tmp, target)
    elif hasattr(target, "write"):
        target.write(out)
    else:
        raise DataTypeError(
            f"cannot write to a {type(target).__name__}; give a path or a binary file"
        )
