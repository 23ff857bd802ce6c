"""Audio: WAV against files written by the stdlib ``wave`` module and by hand from the RIFF
layout, resampling against analytic sines, spectrograms against a direct DFT."""

from __future__ import annotations

import cmath
import io
import math
import os
import struct
import wave

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import has_module, needs_numpy

from torsh_data import (
    DataTypeError,
    DataValueError,
    FormatError,
    MissingExtraError,
    ShapeError,
    SourceError,
    Tensor,
)
from torsh_data import random as tdr
from torsh_data.audio import (
    AddNoise,
    AudioData,
    AudioFolder,
    AudioToTensor,
    FixedLength,
    LibriSpeech,
    MelSpectrogram,
    Normalize,
    Resample,
    Spectrogram,
    TensorToAudio,
    fft,
    load_wav,
    melscale_fbanks,
    save_wav,
)


def f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def stdlib_wav(frames: list[list[int]], bits: int, rate: int = 8000) -> bytes:
    """A PCM WAV written by the standard library's ``wave`` (frames: per frame, per channel)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(len(frames[0]))
        w.setsampwidth(bits // 8)
        w.setframerate(rate)
        raw = b""
        for frame in frames:
            for v in frame:
                raw += v.to_bytes(bits // 8, "little", signed=bits > 8)
        w.writeframes(raw)
    return buf.getvalue()


def riff(fmt: bytes, data: bytes, extra: bytes = b"") -> bytes:
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("bits", [8, 16, 24, 32])
@pytest.mark.parametrize("channels", [1, 2])
def test_reads_what_the_stdlib_wave_module_writes(bits, channels):
    lo, hi = (0, 255) if bits == 8 else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    frames = [
        [(lo + (i * 7919 + c * 104729) % (hi - lo + 1)) for c in range(channels)] for i in range(50)
    ]
    frames[0] = [lo] * channels
    frames[1] = [hi] * channels
    audio = load_wav(stdlib_wav(frames, bits, 22050))
    assert audio.sample_rate == 22050 and audio.samples.shape == (channels, 50)
    got = audio.samples.tolist()
    for c in range(channels):
        if bits == 8:
            want = [(f[c] - 128) / 128 for f in frames]
        else:
            want = [f32(f[c] / 2 ** (bits - 1)) for f in frames]
        assert got[c] == want
    raw = load_wav(stdlib_wav(frames, bits), normalize=False)
    assert raw.samples.tolist() == [[f[c] for f in frames] for c in range(channels)]


@needs_numpy
@pytest.mark.parametrize("bits", [8, 16, 32])
def test_numpy_reference_and_numpy_path_agree(bits):
    import numpy as np

    frames = [
        [
            (i * 40503) % 256
            if bits == 8
            else ((i * 40503) % 65536 - 32768) * (1 if bits == 16 else 65536)
        ]
        for i in range(64)
    ]
    data = stdlib_wav(frames, bits)
    audio = load_wav(data)
    code = {8: "u1", 16: "<i2", 32: "<i4"}[bits]
    ref = np.frombuffer(data[44:], dtype=code).astype(np.float64)
    ref = (ref - 128) / 128 if bits == 8 else ref / 2.0 ** (bits - 1)
    assert np.array_equal(np.asarray(audio.samples)[0], ref.astype(np.float32))


def test_float_and_extensible_files_written_by_hand():
    values = [0.0, 0.25, -0.5, 1.5]
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
    audio = load_wav(
        riff(fmt, struct.pack("<4f", *values), extra=b"LIST" + struct.pack("<I", 3) + b"abc\x00")
    )
    assert audio.samples.tolist() == [values]
    guid_tail = bytes.fromhex("000000001000800000aa00389b71")
    ext = (
        struct.pack("<HHIIHHHHI", 0xFFFE, 2, 8000, 32000, 4, 16, 22, 16, 3)
        + struct.pack("<H", 1)
        + guid_tail
    )
    audio = load_wav(riff(ext, struct.pack("<4h", 16384, -16384, 32767, -32768)))
    assert audio.samples.tolist() == [[0.5, f32(32767 / 32768)], [-0.5, -1.0]]


@pytest.mark.parametrize("bits", [8, 16, 24, 32])
def test_save_wav_is_read_by_the_stdlib(tmp_path, bits):
    x = [[0.0, 0.5, -0.5, 1.0, -1.0, 0.123]]
    save_wav(tmp_path / "a.wav", Tensor(x, dtype="float64"), 11025, bits_per_sample=bits)
    with wave.open(str(tmp_path / "a.wav"), "rb") as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (11025, bits // 8, 1)
        raw = w.readframes(6)
    size = bits // 8
    ints = [
        int.from_bytes(raw[i : i + size], "little", signed=bits > 8)
        for i in range(0, len(raw), size)
    ]
    top = 128 if bits == 8 else 1 << (bits - 1)
    want = [min(max(round(v * top), -top), top - 1) for v in x[0]]
    if bits == 8:
        want = [v + 128 for v in want]
    assert ints == want


@given(st.lists(st.floats(-1, 1, width=32), min_size=1, max_size=40), st.sampled_from([32, 64]))
def test_float_wav_round_trip(values, bits):
    buf = io.BytesIO()
    save_wav(
        buf,
        AudioData(Tensor([values, values[::-1]]), 44100),
        encoding="float",
        bits_per_sample=bits,
    )
    back = load_wav(buf.getvalue())
    assert back == AudioData(Tensor([values, values[::-1]]), 44100)


def test_wav_bad_input():
    good = stdlib_wav([[1], [2]], 16)
    for bad, match in (
        (b"RIFX" + good[4:], "not a WAV"),
        (good[:-1], "claims 4 bytes"),
        (good[:36], "no data chunk"),
        (riff(struct.pack("<HHIIHH", 2, 1, 8000, 8000, 1, 4), b"\x00"), "format tag 2"),
        (riff(struct.pack("<HHIIHH", 1, 1, 8000, 8000, 2, 12), b"\x00\x00"), "12-bit"),
        (riff(struct.pack("<HHIIHH", 1, 2, 8000, 8000, 2, 16), b"\x00\x00"), "inconsistent"),
        (riff(b"\x01\x00", b""), "fmt chunk"),
        (b"", "not a WAV"),
    ):
        with pytest.raises(FormatError, match=match):
            load_wav(bad)
    with pytest.raises(DataValueError):
        save_wav(io.BytesIO(), Tensor([[0.0]]), None)
    with pytest.raises(DataValueError):
        save_wav(io.BytesIO(), Tensor([[0.0]]), 8000, bits_per_sample=12)
    with pytest.raises(ShapeError):
        AudioData(Tensor([[[0.0]]]), 8000)
    with pytest.raises(DataValueError):
        AudioData(Tensor([0.0]), 0)


# --- datasets ---------------------------------------------------------------------------------


def test_audio_folder_and_missing_decoder(tmp_path):
    for cls, v in (("yes", 0.5), ("no", -0.5)):
        os.makedirs(tmp_path / cls)
        save_wav(tmp_path / cls / "1.wav", Tensor([[v, v]]), 8000)
    ds = AudioFolder(tmp_path, transform=AudioToTensor())
    assert ds.classes == ["no", "yes"] and [ds[i][0].tolist() for i in range(2)] == [
        [[-0.5, -0.5]],
        [[0.5, 0.5]],
    ]
    (tmp_path / "no" / "2.flac").write_bytes(b"fLaC" + bytes(40))
    ds = AudioFolder(tmp_path)
    if not has_module("soundfile"):
        with pytest.raises(MissingExtraError, match=r"torsh-data\[audio\]"):
            ds[1]


def make_librispeech(root, ext=".wav"):
    chapter = root / "LibriSpeech" / "dev-clean" / "84" / "121123"
    os.makedirs(chapter)
    lines = []
    for utt in (0, 1):
        save_wav(chapter / f"84-121123-{utt:04d}{ext}", Tensor([[0.1 * (utt + 1)] * 4]), 16000)
        lines.append(f"84-121123-{utt:04d} GO DO YOU HEAR {utt}")
    (chapter / "84-121123.trans.txt").write_text("\n".join(lines) + "\n")
    return chapter


def test_librispeech_layout(tmp_path):
    chapter = make_librispeech(tmp_path)
    ds = LibriSpeech(tmp_path, "dev-clean", audio_ext=".wav")
    assert len(ds) == 2
    wave_, rate, text, speaker, chap, utt = ds[1]
    assert (rate, text, speaker, chap, utt) == (16000, "GO DO YOU HEAR 1", 84, 121123, 1)
    assert wave_.shape == (1, 4)
    with pytest.raises(SourceError):
        LibriSpeech(tmp_path, "test-other")
    with pytest.raises(DataValueError):
        LibriSpeech(tmp_path, "../x")
    if not has_module("soundfile"):
        (chapter / "84-121123-0000.flac").write_bytes(b"fLaC")
        (chapter / "84-121123-0001.flac").write_bytes(b"fLaC")
        with pytest.raises(MissingExtraError):
            LibriSpeech(tmp_path, "dev-clean")[0]
    (chapter / "84-121123.trans.txt").write_text("84-999-0000 WRONG CHAPTER\n")
    with pytest.raises(FormatError, match="record 1"):
        LibriSpeech(tmp_path, "dev-clean", audio_ext=".wav")
    (chapter / "84-121123.trans.txt").write_text("84-121123-0007 NO FILE\n")
    with pytest.raises(SourceError, match="missing"):
        LibriSpeech(tmp_path, "dev-clean", audio_ext=".wav")


# --- resampling and transforms ----------------------------------------------------------------


def sine(freq: float, rate: int, n: int) -> list[float]:
    return [math.sin(2 * math.pi * freq * i / rate) for i in range(n)]


@pytest.mark.parametrize(
    "orig,new,freq", [(8000, 16000, 440.0), (16000, 8000, 1000.0), (44100, 16000, 300.0)]
)
def test_sinc_resampling_reproduces_a_sine(orig, new, freq):
    n = orig // 10
    out = Resample(orig, new)(Tensor([sine(freq, orig, n)], dtype="float64")).tolist()[0]
    assert len(out) == math.ceil(n * new / orig)
    want = sine(freq, new, len(out))
    edge = new // 100  # away from the ends, where the zero padding shows
    err = max(abs(a - b) for a, b in zip(out[edge:-edge], want[edge:-edge], strict=True))
    assert err < 2e-3


def test_sinc_resampling_removes_what_the_new_rate_cannot_hold():
    out = Resample(16000, 8000)(Tensor([sine(6000.0, 16000, 1600)], dtype="float64")).tolist()[0]
    assert max(abs(v) for v in out[80:-80]) < 0.02  # 6 kHz is above the 4 kHz Nyquist


def test_linear_resampling_and_audio_data_rate():
    x = AudioData(Tensor([[0.0, 1.0, 2.0, 3.0]]), 100)
    up = Resample(100, 300, method="linear")(x)
    assert up.sample_rate == 300 and up.samples.tolist() == [
        [f32(v) for v in (0, 1 / 3, 2 / 3, 1, 4 / 3, 5 / 3, 2, 7 / 3, 8 / 3, 3, 3, 3)]
    ]
    assert Resample(100, 50, method="linear")(Tensor([0.0, 1.0, 2.0, 3.0, 4.0])).tolist() == [
        0.0,
        2.0,
        4.0,
    ]
    with pytest.raises(DataValueError, match="expects 200"):
        Resample(200, 100)(x)
    with pytest.raises(DataValueError):
        Resample(0, 100)
    with pytest.raises(DataValueError):
        Resample(100, 200, method="cubic")
    with pytest.raises(DataTypeError):
        Resample(100, 200)(Tensor([1, 2]))


def test_waveform_transforms():
    x = Tensor([[0.5, -2.0, 1.0, 0.5]])
    assert Normalize()(x).tolist() == [[0.25, -1.0, 0.5, 0.25]]
    rms = Normalize("rms", 0.5)(x).tolist()[0]
    assert math.sqrt(sum(v * v for v in rms) / 4) == pytest.approx(0.5, rel=1e-6)
    std = Normalize("standard")(x).tolist()[0]
    assert sum(std) == pytest.approx(0, abs=1e-6) and sum(v * v for v in std) / 4 == pytest.approx(
        1, rel=1e-6
    )
    assert Normalize()(Tensor([[0.0, 0.0]])).tolist() == [[0.0, 0.0]]
    assert FixedLength(2, crop="center")(x).tolist() == [[-2.0, 1.0]]
    assert FixedLength(6, fill=9)(x).tolist() == [[0.5, -2.0, 1.0, 0.5, 9.0, 9.0]]
    starts = set()
    for i in range(60):
        with tdr.sample_scope(seed=0, epoch=0, index=i):
            starts.add(tuple(FixedLength(2, crop="random")(x).tolist()[0]))
    assert starts == {(0.5, -2.0), (-2.0, 1.0), (1.0, 0.5)}
    audio = TensorToAudio(8000)(x)
    assert isinstance(audio, AudioData) and AudioToTensor()(audio) is audio.samples
    with pytest.raises(DataValueError):
        FixedLength(0)
    with pytest.raises(DataValueError):
        Normalize("max")
    with pytest.raises(DataTypeError):
        AudioToTensor()([1.0])


def test_add_noise_has_the_requested_snr():
    n = 8000
    clean = sine(50.0, 8000, n)
    with tdr.sample_scope(seed=4, epoch=0, index=0):
        noisy = AddNoise(snr_db=10.0)(Tensor([clean], dtype="float64")).tolist()[0]
    noise = [a - b for a, b in zip(noisy, clean, strict=True)]
    snr = 10 * math.log10(sum(v * v for v in clean) / sum(v * v for v in noise))
    assert abs(snr - 10.0) < 0.3  # the noise power's relative sd is sqrt(2/n) = 1.6 %: 0.07 dB
    with tdr.sample_scope(seed=4, epoch=0, index=0):
        again = AddNoise(snr_db=10.0)(Tensor([clean], dtype="float64")).tolist()[0]
    assert again == noisy
    with pytest.raises(DataValueError):
        AddNoise(snr_db=10, std=0.1)


# --- spectrograms -----------------------------------------------------------------------------


def dft(x):
    n = len(x)
    return [sum(x[j] * cmath.exp(-2j * math.pi * k * j / n) for j in range(n)) for k in range(n)]


@given(st.lists(st.floats(-1, 1), min_size=1, max_size=60))
def test_fft_matches_the_direct_dft(x):
    got, want = fft(x), dft(x)
    assert all(abs(a - b) < 1e-9 * max(1, len(x)) for a, b in zip(got, want, strict=True))


def test_spectrogram_matches_a_direct_dft_of_the_framed_signal():
    x = [math.sin(0.3 * i) + 0.25 * math.cos(1.1 * i) for i in range(100)]
    n_fft, hop = 20, 7
    spec = Spectrogram(n_fft=n_fft, hop_length=hop, power=2.0)(Tensor([x], dtype="float64"))
    padded = x[1:11][::-1] + x + x[-11:-1][::-1]
    window = [0.5 - 0.5 * math.cos(2 * math.pi * i / n_fft) for i in range(n_fft)]
    frames = 1 + (len(padded) - n_fft) // hop
    assert spec.shape == (1, n_fft // 2 + 1, frames)
    got = spec.tolist()[0]
    for t in range(frames):
        seg = [a * w for a, w in zip(padded[t * hop : t * hop + n_fft], window, strict=True)]
        for k, v in enumerate(dft(seg)[: n_fft // 2 + 1]):
            assert got[k][t] == pytest.approx(abs(v) ** 2, rel=1e-5, abs=1e-5)


@needs_numpy
def test_numpy_backend_agrees_with_the_python_fft():
    import numpy as np

    x = Tensor([sine(440.0, 8000, 800)], dtype="float64")
    a = np.asarray(Spectrogram(n_fft=400, backend="numpy")(x))
    b = np.asarray(Spectrogram(n_fft=400)(x))
    assert np.allclose(a, b, rtol=1e-5, atol=1e-6)


def test_mel_scale_published_values_and_filter_shape():
    from torsh_data.audio._spectrogram import _hz_to_mel, _mel_to_hz

    assert _hz_to_mel(1000.0, "htk") == pytest.approx(999.985, abs=1e-3)  # 2595 log10(1 + 1000/700)
    assert _hz_to_mel(1000.0, "slaney") == 15.0 and _hz_to_mel(6400.0, "slaney") == pytest.approx(
        42.0
    )
    assert _mel_to_hz(_hz_to_mel(3210.0, "slaney"), "slaney") == pytest.approx(3210.0)
    fb = melscale_fbanks(201, 0.0, 8000.0, 10, 16000)
    cols = list(zip(*fb, strict=True))
    for band in cols:
        nz = [i for i, w in enumerate(band) if w > 0]
        assert nz == list(range(nz[0], nz[-1] + 1)) and max(band) <= 1.0 + 1e-12
        peak = band.index(max(band))
        assert all(band[i] <= band[i + 1] for i in range(nz[0], peak))
        assert all(band[i] >= band[i + 1] for i in range(peak, nz[-1]))
    x = Tensor([sine(1000.0, 16000, 1600)], dtype="float64")
    mel = MelSpectrogram(16000, n_fft=400, n_mels=10)(x).tolist()[0]
    spec = Spectrogram(n_fft=400)(x).tolist()[0]
    for m in range(10):
        assert mel[m][3] == pytest.approx(
            sum(spec[b][3] * fb[b][m] for b in range(201)), rel=1e-5, abs=1e-6
        )
    with pytest.raises(DataValueError):
        MelSpectrogram(16000, f_min=9000.0)
    with pytest.raises(DataValueError):
        Spectrogram(n_fft=10, win_length=20)
    with pytest.raises(DataValueError):
        Spectrogram(n_fft=400)(Tensor([0.0] * 100))
    with pytest.raises(DataValueError, match="expects 16000"):
        MelSpectrogram(16000)(AudioData(Tensor([[0.0] * 800]), 8000))


def test_the_wav_cap_is_no_larger_than_the_runtimes():
    # in Pyodide every reader's cap is the lower one (1 GiB): the heap is a few GiB in all
    from torsh_data.audio._wav import MAX_WAV_BYTES
    from torsh_data.formats import DEFAULT_MAX_BYTES

    assert MAX_WAV_BYTES <= DEFAULT_MAX_BYTES
