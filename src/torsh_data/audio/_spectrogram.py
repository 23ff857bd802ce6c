"""Spectrograms: :func:`stft`, :class:`Spectrogram`, :class:`MelSpectrogram` and
:func:`melscale_fbanks`, with torchaudio's conventions (periodic Hann window, centred frames
with reflect padding, ``n_fft // 2 + 1`` frequency bins, HTK or Slaney mel scale).

The default backend is a mixed-radix FFT in pure Python, so the numbers are the same on every
runtime; ``backend="numpy"`` uses ``numpy.fft`` (faster; equal to rounding, not bit for bit).

>>> import math
>>> x = Tensor([math.cos(2 * math.pi * 2 * n / 16) for n in range(64)])
>>> spec = Spectrogram(n_fft=16, hop_length=16, center=False, power=1.0)(x)
>>> spec.shape, [round(v) for v in spec.tolist()[0][:4][2]]
((1, 9, 4), [4, 4, 4, 4])
"""

from __future__ import annotations

import cmath
import importlib
import math
from typing import Any

from .._errors import DataValueError, MissingExtraError
from ..tensor import Tensor
from ..transforms import Transform
from ._transforms import _channels, _positive_int
from ._wav import AudioData

__all__ = ["MelSpectrogram", "Spectrogram", "fft", "melscale_fbanks", "stft"]

_TWIDDLES: dict[int, list[complex]] = {}


def _twiddles(n: int) -> list[complex]:
    tw = _TWIDDLES.get(n)
    if tw is None:
        if len(_TWIDDLES) > 64:
            _TWIDDLES.clear()
        tw = _TWIDDLES[n] = [cmath.exp(-2j * math.pi * k / n) for k in range(n)]
    return tw


def _smallest_factor(n: int) -> int:
    for p in (2, 3, 5, 7):
        if n % p == 0:
            return p
    p = 11
    while p * p <= n:
        if n % p == 0:
            return p
        p += 2
    return n


def fft(x: list[complex] | list[float]) -> list[complex]:
    """The discrete Fourier transform ``X[k] = sum_n x[n] exp(-2 pi i k n / N)`` of any length
    (mixed-radix Cooley-Tukey; a direct sum for prime factors)."""
    n = len(x)
    if n <= 1:
        return [complex(v) for v in x]
    tw = _twiddles(n)
    p = _smallest_factor(n)
    if p == n:
        return [sum(x[j] * tw[(j * k) % n] for j in range(n)) for k in range(n)]
    m = n // p
    subs = [fft(x[r::p]) for r in range(p)]
    if p == 2:
        even, odd = subs
        out = [0j] * n
        for k in range(m):
            t = tw[k] * odd[k]
            out[k], out[k + m] = even[k] + t, even[k] - t
        return out
    return [sum(subs[r][k % m] * tw[(r * k) % n] for r in range(p)) for k in range(n)]


def _window(win_length: int, n_fft: int) -> list[float]:
    """A periodic Hann window of ``win_length``, zero-padded to ``n_fft`` around the centre."""
    w = [0.5 - 0.5 * math.cos(2 * math.pi * i / win_length) for i in range(win_length)]
    left = (n_fft - win_length) // 2
    return [0.0] * left + w + [0.0] * (n_fft - win_length - left)


def stft(
    x: list[float],
    n_fft: int,
    hop_length: int,
    window: list[float],
    center: bool = True,
    backend: str = "python",
) -> list[list[complex]]:
    """Short-time Fourier transform of one channel: ``frames`` lists of ``n_fft // 2 + 1``
    complex bins."""
    if center:
        p = n_fft // 2
        if p >= len(x) and p:
            raise DataValueError(f"reflect padding of {p} needs more than {len(x)} samples")
        x = x[1 : p + 1][::-1] + x + (x[-p - 1 : -1][::-1] if p else [])
    if len(x) < n_fft:
        raise DataValueError(f"{len(x)} samples are fewer than n_fft={n_fft}")
    frames = 1 + (len(x) - n_fft) // hop_length
    bins = n_fft // 2 + 1
    if backend == "numpy":
        try:
            np = importlib.import_module("numpy")
        except ImportError:
            raise MissingExtraError("numpy", "numpy", "the numpy spectrogram backend") from None
        a = np.asarray(x, dtype=np.float64)
        idx = np.arange(n_fft)[None, :] + hop_length * np.arange(frames)[:, None]
        spec = np.fft.rfft(a[idx] * np.asarray(window), axis=1)
        return [list(map(complex, row)) for row in spec]
    out = []
    for f in range(frames):
        seg = x[f * hop_length : f * hop_length + n_fft]
        out.append(fft([a * b for a, b in zip(seg, window, strict=True)])[:bins])
    return out


class Spectrogram(Transform):
    """``|STFT|**power`` of a waveform: float32 ``(channels, n_fft // 2 + 1, frames)``.

    Args:
        n_fft: FFT size.
        win_length: Hann window length (default ``n_fft``).
        hop_length: samples between frames (default ``win_length // 2``).
        power: exponent of the magnitude (1: magnitude, 2: power).
        normalized: divide by the window's L2 norm (torchaudio's ``normalized=True``).
        center: pad ``n_fft // 2`` on both sides by reflection so frame ``t`` is centred on
            sample ``t * hop_length``.
        backend: ``"python"`` (default, identical everywhere) or ``"numpy"``.
    """

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        power: float = 2.0,
        normalized: bool = False,
        center: bool = True,
        backend: str = "python",
    ) -> None:
        self.n_fft = _positive_int(n_fft, "n_fft")
        self.win_length = (
            self.n_fft if win_length is None else _positive_int(win_length, "win_length")
        )
        if self.win_length > self.n_fft:
            raise DataValueError(f"win_length {self.win_length} is larger than n_fft {self.n_fft}")
        self.hop_length = (
            max(self.win_length // 2, 1)
            if hop_length is None
            else _positive_int(hop_length, "hop_length")
        )
        if isinstance(power, bool) or not isinstance(power, (int, float)) or not power > 0:
            raise DataValueError(f"power must be a number > 0, got {power!r}")
        if backend not in ("python", "numpy"):
            raise DataValueError(f"backend must be 'python' or 'numpy', got {backend!r}")
        self.power, self.normalized, self.center, self.backend = (
            float(power),
            normalized,
            center,
            backend,
        )
        self.window = _window(self.win_length, self.n_fft)

    def _magnitudes(self, x: Any) -> tuple[list[list[list[float]]], int]:
        chans, _ = _channels(x)
        scale = 1.0 / math.sqrt(math.fsum(w * w for w in self.window)) if self.normalized else 1.0
        out = []
        frames = 0
        for ch in chans:
            spec = stft(ch, self.n_fft, self.hop_length, self.window, self.center, self.backend)
            frames = len(spec)
            pw = self.power
            mags = [[(abs(v) * scale) ** pw for v in frame] for frame in spec]
            out.append([list(b) for b in zip(*mags, strict=True)])  # (bins, frames)
        return out, frames

    def __call__(self, x: Any) -> Tensor:
        mags, frames = self._magnitudes(x)
        bins = self.n_fft // 2 + 1
        flat = [v for ch in mags for row in ch for v in row]
        return Tensor(
            Tensor(flat, dtype="float32").tobytes(),
            dtype="float32",
            shape=(len(mags), bins, frames),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_fft={self.n_fft}, hop_length={self.hop_length}, power={self.power})"


def _hz_to_mel(f: float, scale: str) -> float:
    if scale == "htk":
        return 2595.0 * math.log10(1.0 + f / 700.0)
    if f < 1000.0:
        return 3.0 * f / 200.0
    return 15.0 + math.log(f / 1000.0) / (math.log(6.4) / 27.0)


def _mel_to_hz(m: float, scale: str) -> float:
    if scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    if m < 15.0:
        return 200.0 * m / 3.0
    return 1000.0 * math.exp((math.log(6.4) / 27.0) * (m - 15.0))


def melscale_fbanks(
    n_freqs: int,
    f_min: float,
    f_max: float,
    n_mels: int,
    sample_rate: int,
    norm: str | None = None,
    mel_scale: str = "htk",
) -> list[list[float]]:
    """Triangular mel filters as ``n_freqs`` rows of ``n_mels`` weights (torchaudio's
    ``melscale_fbanks``): filter ``m`` rises from mel point ``m`` to ``m + 1`` and falls to
    ``m + 2``; ``norm="slaney"`` divides each by its width in Hz over 2."""
    if mel_scale not in ("htk", "slaney"):
        raise DataValueError(f"mel_scale must be 'htk' or 'slaney', got {mel_scale!r}")
    if norm not in (None, "slaney"):
        raise DataValueError(f"norm must be None or 'slaney', got {norm!r}")
    if not 0 <= f_min < f_max:
        raise DataValueError(f"need 0 <= f_min < f_max, got {f_min}, {f_max}")
    nyq = sample_rate // 2
    freqs = [nyq * i / (n_freqs - 1) if n_freqs > 1 else 0.0 for i in range(n_freqs)]
    m0, m1 = _hz_to_mel(f_min, mel_scale), _hz_to_mel(f_max, mel_scale)
    pts = [_mel_to_hz(m0 + (m1 - m0) * i / (n_mels + 1), mel_scale) for i in range(n_mels + 2)]
    diff = [pts[i + 1] - pts[i] for i in range(n_mels + 1)]
    rows = []
    for f in freqs:
        row = []
        for m in range(n_mels):
            down = (f - pts[m]) / diff[m]
            up = (pts[m + 2] - f) / diff[m + 1]
            w = max(0.0, min(down, up))
            if norm == "slaney":
                w *= 2.0 / (pts[m + 2] - pts[m])
            row.append(w)
        rows.append(row)
    return rows


class MelSpectrogram(Spectrogram):
    """A :class:`Spectrogram` through mel filters: float32 ``(channels, n_mels, frames)``.

    Args:
        sample_rate: of the input.
        n_fft, win_length, hop_length, power, normalized, center, backend: as
            :class:`Spectrogram`.
        f_min: lowest frequency (Hz).
        f_max: highest frequency (default ``sample_rate / 2``).
        n_mels: number of mel bands.
        norm: ``None`` or ``"slaney"`` (area normalisation).
        mel_scale: ``"htk"`` or ``"slaney"``.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        f_min: float = 0.0,
        f_max: float | None = None,
        n_mels: int = 128,
        power: float = 2.0,
        normalized: bool = False,
        center: bool = True,
        norm: str | None = None,
        mel_scale: str = "htk",
        backend: str = "python",
    ) -> None:
        super().__init__(n_fft, win_length, hop_length, power, normalized, center, backend)
        self.sample_rate = _positive_int(sample_rate, "sample_rate")
        self.n_mels = _positive_int(n_mels, "n_mels")
        top = float(sample_rate // 2) if f_max is None else f_max
        self.fbanks = melscale_fbanks(
            self.n_fft // 2 + 1, f_min, top, self.n_mels, self.sample_rate, norm, mel_scale
        )

    def __call__(self, x: Any) -> Tensor:
        if isinstance(x, AudioData) and x.sample_rate != self.sample_rate:
            raise DataValueError(
                f"the audio is at {x.sample_rate} Hz, MelSpectrogram expects {self.sample_rate}"
            )
        mags, frames = self._magnitudes(x)
        cols = list(zip(*self.fbanks, strict=True))  # per mel band: the weight of each bin
        flat = []
        for ch in mags:
            for band in cols:
                nz = [(b, w) for b, w in enumerate(band) if w]
                flat += [math.fsum(ch[b][t] * w for b, w in nz) for t in range(frames)]
        return Tensor(
            Tensor(flat, dtype="float32").tobytes(),
            dtype="float32",
            shape=(len(mags), self.n_mels, frames),
        )
