"""Audio datasets: :class:`AudioFolder` (a directory per class) and :class:`LibriSpeech`.

WAV files are read by :func:`load_wav` on every runtime; FLAC (and OGG, AIFF...) through the
``soundfile`` package when it is installed (``pip install 'torsh-data[audio]'``), else a
:class:`~torsh_data.MissingExtraError`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

from .. import _dtype
from .._errors import DataValueError, FormatError, MissingExtraError, SourceError
from ..datasets import Dataset
from ..tensor import Tensor
from ..vision import ImageFolder
from ._wav import AudioData, load_wav

__all__ = ["AUDIO_EXTENSIONS", "AudioFolder", "LibriSpeech", "load_audio"]

#: Extensions :func:`load_audio` reads (all but ``wav`` need ``soundfile``).
AUDIO_EXTENSIONS = ("wav", "flac", "ogg", "aiff", "aif")


def load_audio(path: str) -> AudioData:
    """Read an audio file: WAV natively, other formats through ``soundfile``."""
    if path.lower().endswith(".wav"):
        return load_wav(path)
    try:
        sf = importlib.import_module("soundfile")
    except ImportError:
        ext = os.path.splitext(path)[1] or "this format"
        raise MissingExtraError("soundfile", "audio", f"decoding {ext} audio") from None
    try:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises RuntimeError/LibsndfileError/...
        raise FormatError(f"cannot decode audio: {e}", source=path) from None
    planar = data.T.copy()
    return AudioData(
        Tensor._make(memoryview(planar.tobytes()), _dtype.float32, planar.shape), int(rate)
    )


class AudioFolder(ImageFolder):
    """Audio files in one sub-directory per class: ``root/<class>/**/<file>``.

    Samples are ``(AudioData, class_index)`` (see :class:`~torsh_data.vision.ImageFolder`
    for ``classes``, ``class_to_idx``, ``samples``, ``targets``, ``loader`` and the rest).

    >>> import os, tempfile
    >>> from torsh_data import Tensor
    >>> from torsh_data.audio import save_wav
    >>> root = tempfile.mkdtemp()
    >>> os.mkdir(os.path.join(root, "yes"))
    >>> save_wav(os.path.join(root, "yes", "a.wav"), Tensor([[0.5, 0.25]]), 8000)
    >>> AudioFolder(root)[0]
    (AudioData(1 channels, 2 frames, 8000 Hz), 0)
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        loader: Callable[[str], Any] | None = None,
        extensions: Sequence[str] | None = AUDIO_EXTENSIONS,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> None:
        super().__init__(
            root,
            transform,
            target_transform,
            loader,
            extensions,
            is_valid_file,
            allow_empty=allow_empty,
        )

    def load(self, path: str) -> Any:
        return load_audio(path) if self.loader is None else self.loader(path)


class LibriSpeech(Dataset[tuple[Any, ...]]):
    """LibriSpeech: ``root/LibriSpeech/<subset>/<speaker>/<chapter>/`` holding
    ``<speaker>-<chapter>-<utterance>.flac`` files and ``<speaker>-<chapter>.trans.txt``
    (``<utterance id> <TRANSCRIPT>`` lines).

    A sample is ``(waveform, sample_rate, transcript, speaker_id, chapter_id,
    utterance_id)`` as in torchaudio, ``waveform`` a float32 ``(1, frames)`` tensor.

    Args:
        root: the directory containing ``LibriSpeech/`` (or the subset directory's parent).
        subset: e.g. ``"train-clean-100"``, ``"dev-clean"``, ``"test-other"``.
        audio_ext: the audio file extension (``".flac"``; ``".wav"`` for converted copies).
        transform: applied to the waveform.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        subset: str = "train-clean-100",
        audio_ext: str = ".flac",
        transform: Callable[[Any], Any] | None = None,
    ) -> None:
        if not isinstance(subset, str) or not subset or "/" in subset or subset.startswith("."):
            raise DataValueError(
                f"subset must be a directory name such as 'dev-clean', got {subset!r}"
            )
        if transform is not None and not callable(transform):
            raise DataValueError(f"transform must be callable, got {transform!r}")
        root = os.fspath(root)
        candidates = [os.path.join(root, "LibriSpeech", subset), os.path.join(root, subset)]
        self.path = next((p for p in candidates if os.path.isdir(p)), "")
        if not self.path:
            raise SourceError(f"LibriSpeech subset {subset!r} not found under {root}")
        self.audio_ext, self.transform = audio_ext, transform
        self.transcripts: dict[str, str] = {}
        self._ids: list[tuple[str, str, str]] = []
        for speaker in sorted(os.listdir(self.path), key=_numeric):
            sdir = os.path.join(self.path, speaker)
            if not os.path.isdir(sdir):
                continue
            for chapter in sorted(os.listdir(sdir), key=_numeric):
                self._read_chapter(os.path.join(sdir, chapter), speaker, chapter)
        if not self._ids:
            raise SourceError(f"no utterances found in {self.path}")

    def _read_chapter(self, cdir: str, speaker: str, chapter: str) -> None:
        trans = os.path.join(cdir, f"{speaker}-{chapter}.trans.txt")
        if not os.path.isfile(trans):
            return
        with open(trans, encoding="utf-8") as f:
            for i, line in enumerate(f, start=1):
                line = line.strip()
                if not line:
                    continue
                uid, _, text = line.partition(" ")
                parts = uid.split("-")
                if len(parts) != 3 or parts[:2] != [speaker, chapter] or not parts[2].isdigit():
                    raise FormatError(
                        f"utterance id {uid!r} is not {speaker}-{chapter}-<n>",
                        source=trans,
                        record=i,
                    )
                if not os.path.isfile(os.path.join(cdir, uid + self.audio_ext)):
                    raise SourceError(f"{uid}{self.audio_ext} is listed in {trans} but missing")
                self.transcripts[uid] = text
                self._ids.append((speaker, chapter, parts[2]))

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        speaker, chapter, utt = self._ids[index]
        uid = f"{speaker}-{chapter}-{utt}"
        audio = load_audio(os.path.join(self.path, speaker, chapter, uid + self.audio_ext))
        wave: Any = audio.samples if self.transform is None else self.transform(audio.samples)
        return wave, audio.sample_rate, self.transcripts[uid], int(speaker), int(chapter), int(utt)


def _numeric(name: str) -> tuple[int, str]:
    return (int(name), name) if name.isdigit() else (1 << 62, name)
