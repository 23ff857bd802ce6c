"""Audio transforms: :class:`Resample`, :class:`AudioToTensor`, :class:`TensorToAudio`,
:class:`Normalize`, :class:`FixedLength`, :class:`AddNoise`.

They take a float ``(channels, frames)`` tensor (or ``(frames,)``) or an :class:`AudioData`
and return the same kind (``AudioToTensor``/``TensorToAudio`` convert between the two).
Random ones draw from :func:`torsh_data.random.sample_generator`.

>>> x = Tensor([[0.0, 1.0, 0.0, -1.0]])
>>> Resample(4, 8, method="linear")(x).tolist()
[[0.0, 0.5, 1.0, 0.5, 0.0, -0.5, -1.0, -1.0]]
>>> FixedLength(6)(x).tolist(), Normalize("peak", 0.5)(x).tolist()
([[0.0, 1.0, 0.0, -1.0, 0.0, 0.0]], [[0.0, 0.5, 0.0, -0.5]])
"""

from __future__ import annotations

import math
import operator
from typing import Any

from .._errors import DataTypeError, DataValueError, ShapeError
from ..random import sample_generator
from ..tensor import Tensor
from ..transforms import Transform
from ..transforms._noise import normals
from ._wav import AudioData

__all__ = [
    "AddNoise",
    "AudioToTensor",
    "FixedLength",
    "Normalize",
    "Resample",
    "TensorToAudio",
    "resample",
]


def _channels(x: Any) -> tuple[list[list[float]], Any]:
    """Float channel lists and a function rebuilding ``x``'s kind from new channels."""
    audio = x if isinstance(x, AudioData) else None
    t = (
        x.samples
        if audio is not None
        else x
        if isinstance(x, Tensor)
        else Tensor(x, dtype="float32")
    )
    if t.dtype.kind != "f":
        raise DataTypeError(
            f"audio transforms take float samples, not {t.dtype}; load with normalize=True"
        )
    flat = t.ndim == 1
    if flat:
        t = t.reshape(1, t.shape[0])
    if t.ndim != 2:
        raise ShapeError(f"audio is (channels, frames) or (frames,), got shape {t.shape}")
    c, n = t.shape
    vals = t.dtype.unpack(t._data)
    chans = [vals[k * n : (k + 1) * n] for k in range(c)]
    dt = t.dtype

    def rebuild(new: list[list[float]], rate: int | None = None) -> Any:
        m = len(new[0]) if new else 0
        out = Tensor._make(memoryview(dt.pack([v for ch in new for v in ch])), dt, (len(new), m))
        if flat:
            out = out.reshape(m)
        if audio is not None:
            return AudioData(out, audio.sample_rate if rate is None else rate)
        return out

    return chans, rebuild


def _positive_int(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise DataValueError(f"{name} must be an integer >= 1, got {v!r}")
    return v


def _sinc_kernels(
    orig: int, new: int, width_zeros: int, rolloff: float
) -> tuple[list[list[float]], int]:
    """Per output phase ``i < new``: the weights on input samples ``i*orig//new - w`` ... (a
    Hann-windowed sinc low-pass at ``rolloff * min(orig, new) / 2``, torchaudio's
    ``sinc_interp_hann``) and the half-width ``w`` in input samples."""
    base = min(orig, new) * rolloff
    w = math.ceil(width_zeros * orig / base)
    kernels = []
    for i in range(new):
        first = (i * orig) // new - w
        row = []
        for k in range(first, first + 2 * w + 2):
            t = (k / orig - i / new) * base
            t = min(max(t, -width_zeros), width_zeros)
            window = math.cos(t * math.pi / width_zeros / 2) ** 2
            row.append((math.sin(math.pi * t) / (math.pi * t) if t else 1.0) * window * base / orig)
        kernels.append(row)
    return kernels, w


def resample(
    channels: list[list[float]],
    orig: int,
    new: int,
    method: str = "sinc",
    width_zeros: int = 6,
    rolloff: float = 0.99,
) -> list[list[float]]:
    """Resample channel lists from ``orig`` to ``new`` Hz; ``ceil(n * new / orig)`` frames."""
    g = math.gcd(orig, new)
    o, nw = orig // g, new // g
    out = []
    for x in channels:
        n = len(x)
        m = -(-n * nw // o)
        if o == nw:
            out.append(list(x))
            continue
        if method == "linear":
            y = []
            for j in range(m):
                k, r = divmod(j * o, nw)
                a = x[k]
                b = x[k + 1] if k + 1 < n else a
                y.append(a + (b - a) * (r / nw))
            out.append(y)
            continue
        kernels, w = _sinc_kernels(o, nw, width_zeros, rolloff)
        pad = [0.0] * (w + o + 4)
        xp = pad + list(x) + pad
        y = []
        for j in range(m):
            q, i = divmod(j, nw)
            start = q * o + (i * o) // nw - w + len(pad)
            row = kernels[i]
            y.append(sum(map(operator.mul, row, xp[start : start + len(row)])))
        out.append(y)
    return out


class Resample(Transform):
    """Change the sample rate from ``orig_freq`` to ``new_freq``.

    ``"sinc"``: band-limited interpolation with a Hann-windowed sinc of ``lowpass_filter_width``
    zero crossings, cut off at ``rolloff`` times the lower Nyquist frequency (torchaudio's
    default method). ``"linear"``: straight lines between neighbouring samples (no
    anti-aliasing: for upsampling or a quick look). The output has ``ceil(frames * new /
    orig)`` frames; an :class:`AudioData` gets the new rate.
    """

    def __init__(
        self,
        orig_freq: int,
        new_freq: int,
        method: str = "sinc",
        lowpass_filter_width: int = 6,
        rolloff: float = 0.99,
    ) -> None:
        self.orig_freq = _positive_int(orig_freq, "orig_freq")
        self.new_freq = _positive_int(new_freq, "new_freq")
        if method not in ("sinc", "linear"):
            raise DataValueError(f"method must be 'sinc' or 'linear', got {method!r}")
        self.width = _positive_int(lowpass_filter_width, "lowpass_filter_width")
        if (
            isinstance(rolloff, bool)
            or not isinstance(rolloff, (int, float))
            or not 0 < rolloff <= 1
        ):
            raise DataValueError(f"rolloff must be in (0, 1], got {rolloff!r}")
        self.method, self.rolloff = method, float(rolloff)

    def __call__(self, x: Any) -> Any:
        if isinstance(x, AudioData) and x.sample_rate != self.orig_freq:
            raise DataValueError(
                f"the audio is at {x.sample_rate} Hz, Resample expects {self.orig_freq}"
            )
        chans, rebuild = _channels(x)
        y = resample(chans, self.orig_freq, self.new_freq, self.method, self.width, self.rolloff)
        return rebuild(y, self.new_freq)

    def __repr__(self) -> str:
        return f"Resample({self.orig_freq}, {self.new_freq}, method={self.method!r})"


class AudioToTensor(Transform):
    """:class:`AudioData` -> its float32 ``(channels, frames)`` tensor (tensors pass as they are)."""

    def __call__(self, x: Any) -> Tensor:
        if isinstance(x, AudioData):
            return x.samples
        if isinstance(x, Tensor):
            return x
        raise DataTypeError(f"AudioToTensor takes AudioData, not {type(x).__name__}")


class TensorToAudio(Transform):
    """A ``(channels, frames)`` or ``(frames,)`` tensor -> :class:`AudioData` at ``sample_rate``."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = _positive_int(sample_rate, "sample_rate")

    def __call__(self, x: Any) -> AudioData:
        return AudioData(x, self.sample_rate)


class Normalize(Transform):
    """Scale the waveform: ``"peak"`` to a maximum magnitude of ``target``, ``"rms"`` to a
    root-mean-square of ``target``, ``"standard"`` to zero mean and unit variance (per
    channel). Silence is left as it is."""

    def __init__(self, method: str = "peak", target: float = 1.0) -> None:
        if method not in ("peak", "rms", "standard"):
            raise DataValueError(f"method must be 'peak', 'rms' or 'standard', got {method!r}")
        if (
            isinstance(target, bool)
            or not isinstance(target, (int, float))
            or not 0 < target < math.inf
        ):
            raise DataValueError(f"target must be a positive number, got {target!r}")
        self.method, self.target = method, float(target)

    def __call__(self, x: Any) -> Any:
        chans, rebuild = _channels(x)
        out = []
        for ch in chans:
            if self.method == "standard":
                mean = math.fsum(ch) / len(ch) if ch else 0.0
                sd = math.sqrt(math.fsum((v - mean) ** 2 for v in ch) / len(ch)) if ch else 0.0
                out.append([(v - mean) / sd for v in ch] if sd > 0 else [v - mean for v in ch])
                continue
            if self.method == "peak":
                level = max(map(abs, ch), default=0.0)
            else:
                level = math.sqrt(math.fsum(v * v for v in ch) / len(ch)) if ch else 0.0
            scale = self.target / level if level > 0 else 1.0
            out.append([v * scale for v in ch])
        return rebuild(out)


class FixedLength(Transform):
    """Pad with ``fill`` or cut to exactly ``frames`` frames.

    ``crop``: which part of a longer clip to keep: ``"start"``, ``"center"`` or ``"random"``
    (one uniform draw of the offset). Padding goes at the end.
    """

    def __init__(self, frames: int, crop: str = "start", fill: float = 0.0) -> None:
        self.frames = _positive_int(frames, "frames")
        if crop not in ("start", "center", "random"):
            raise DataValueError(f"crop must be 'start', 'center' or 'random', got {crop!r}")
        if isinstance(fill, bool) or not isinstance(fill, (int, float)) or not math.isfinite(fill):
            raise DataValueError(f"fill must be a finite number, got {fill!r}")
        self.crop, self.fill = crop, float(fill)

    def __call__(self, x: Any) -> Any:
        chans, rebuild = _channels(x)
        n = len(chans[0]) if chans else 0
        if n <= self.frames:
            return rebuild([ch + [self.fill] * (self.frames - n) for ch in chans])
        extra = n - self.frames
        start = (
            0
            if self.crop == "start"
            else extra // 2
            if self.crop == "center"
            else sample_generator().randbelow(extra + 1)
        )
        return rebuild([ch[start : start + self.frames] for ch in chans])


class AddNoise(Transform):
    """Add white Gaussian noise at a signal-to-noise ratio of ``snr_db`` decibels (the noise
    power is the signal's mean power over ``10 ** (snr_db / 10)``), or of a fixed standard
    deviation ``std``. Silence gets no noise in ``snr_db`` mode."""

    def __init__(self, snr_db: float | None = 20.0, std: float | None = None) -> None:
        if (snr_db is None) == (std is None):
            raise DataValueError("give exactly one of snr_db and std")
        for name, v in (("snr_db", snr_db), ("std", std)):
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
            ):
                raise DataValueError(f"{name} must be a finite number, got {v!r}")
        if std is not None and std < 0:
            raise DataValueError(f"std must be >= 0, got {std}")
        self.snr_db, self.std = snr_db, std

    def __call__(self, x: Any) -> Any:
        chans, rebuild = _channels(x)
        gen = sample_generator()
        out = []
        for ch in chans:
            if self.std is not None:
                sd = self.std
            else:
                power = math.fsum(v * v for v in ch) / len(ch) if ch else 0.0
                sd = math.sqrt(power / 10 ** (self.snr_db / 10)) if self.snr_db is not None else 0.0
            noise = normals(gen, len(ch), 0.0, sd)
            out.append([v + z for v, z in zip(ch, noise, strict=True)])
        return rebuild(out)
