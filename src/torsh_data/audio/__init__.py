"""Audio: WAV files, audio datasets, resampling, waveform transforms and spectrograms.

- :func:`load_wav` / :func:`save_wav` and :class:`AudioData` (PCM 8/16/24/32-bit, float),
  :func:`load_audio` (other formats through ``soundfile`` when installed).
- :class:`AudioFolder` (a directory per class), :class:`LibriSpeech`.
- :class:`Resample` (windowed sinc or linear), :class:`AudioToTensor`, :class:`TensorToAudio`,
  :class:`Normalize`, :class:`FixedLength`, :class:`AddNoise`.
- :class:`Spectrogram`, :class:`MelSpectrogram`, :func:`stft`, :func:`melscale_fbanks`.
"""

from .._exports import publish as _publish
from ._datasets import AUDIO_EXTENSIONS, AudioFolder, LibriSpeech, load_audio
from ._spectrogram import MelSpectrogram, Spectrogram, fft, melscale_fbanks, stft
from ._transforms import (
    AddNoise,
    AudioToTensor,
    FixedLength,
    Normalize,
    Resample,
    TensorToAudio,
    resample,
)
from ._wav import AudioData, load_wav, save_wav

__all__ = [
    "AUDIO_EXTENSIONS",
    "AddNoise",
    "AudioData",
    "AudioFolder",
    "AudioToTensor",
    "FixedLength",
    "LibriSpeech",
    "MelSpectrogram",
    "Normalize",
    "Resample",
    "Spectrogram",
    "TensorToAudio",
    "fft",
    "load_audio",
    "load_wav",
    "melscale_fbanks",
    "resample",
    "save_wav",
    "stft",
]

_publish(globals())
