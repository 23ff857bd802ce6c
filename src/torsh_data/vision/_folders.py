"""Datasets over directory trees: :class:`ImageFolder` (one directory per class),
:class:`ImageNet` (its ``train/<wnid>/`` and validation-labels layouts) and
:class:`VideoFolder` (one directory of frame images per clip).

Files are listed once, sorted, so indices are the same on every runtime; symbolic links that
lead out of ``root`` are ignored. Images are decoded when a sample is read, by ``loader``
(default :func:`~torsh_data.formats.decode_image`: PNG and PNM natively, JPEG and the rest
through Pillow, else :class:`~torsh_data.MissingExtraError`); pass another ``loader`` to
decode differently (e.g. in a browser).

>>> import os, tempfile
>>> root = tempfile.mkdtemp()
>>> for cls in ("cat", "dog"):
...     os.mkdir(os.path.join(root, cls))
...     with open(os.path.join(root, cls, "a.pgm"), "wb") as f:
...         _ = f.write(b"P2 1 1 255 7")
>>> ds = ImageFolder(root)
>>> ds.classes, ds.class_to_idx, len(ds), ds[1][0].shape, ds[1][1]
(['cat', 'dog'], {'cat': 0, 'dog': 1}, 2, (1, 1, 1), 1)
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from .. import _dtype
from .._errors import DataTypeError, DataValueError, FormatError, SourceError
from ..datasets import Dataset
from ..formats import IMAGE_EXTENSIONS, decode_image
from ..tensor import Tensor, stack

__all__ = ["ImageFolder", "ImageNet", "VideoFolder", "find_classes"]

Transform = Callable[[Any], Any] | None


def _natural(name: str) -> list[Any]:
    """Sort key that orders ``frame2`` before ``frame10``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _inside(root: str, path: str) -> bool:
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(path)]) == real_root


def find_classes(directory: str | os.PathLike[str]) -> tuple[list[str], dict[str, int]]:
    """The sorted class directories of ``directory`` and their indices (torchvision's)."""
    directory = os.fspath(directory)
    try:
        entries = sorted(
            e.name for e in os.scandir(directory) if e.is_dir() and not e.name.startswith(".")
        )
    except OSError as e:
        raise SourceError(f"cannot list {directory}: {e.strerror or e}") from None
    if not entries:
        raise SourceError(f"no class directories in {directory}")
    return entries, {c: i for i, c in enumerate(entries)}


def _extensions(extensions: Sequence[str] | None) -> tuple[str, ...] | None:
    if extensions is None:
        return None
    if isinstance(extensions, str):
        extensions = (extensions,)
    return tuple("." + e.lower().lstrip(".") for e in extensions)


def _files(root: str, folder: str, valid: Callable[[str], bool]) -> list[str]:
    """Files under ``folder`` (recursively), sorted, kept by ``valid``, inside ``root``."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if valid(path) and _inside(root, path):
                out.append(path)
    return out


def _checked(fn: Any, name: str) -> Any:
    if fn is not None and not callable(fn):
        raise DataTypeError(f"{name} must be callable, got {fn!r}")
    return fn


class ImageFolder(Dataset[tuple[Any, int]]):
    """Images in one sub-directory per class: ``root/<class>/**/<image>``.

    Attributes follow torchvision: ``classes`` (sorted directory names), ``class_to_idx``,
    ``samples`` (``(path, class_index)`` pairs, sorted), ``targets``.

    Args:
        root: the directory of class directories.
        transform: applied to each decoded image.
        target_transform: applied to each class index.
        loader: ``loader(path) -> image`` (default: :func:`~torsh_data.formats.decode_image`
            with ``mode``).
        extensions: file extensions to keep (default: the image formats decode_image knows).
        is_valid_file: ``is_valid_file(path) -> bool`` instead of ``extensions``.
        mode: the channel mode for the default loader (``None``, ``"L"``, ``"RGB"``, ...).
        allow_empty: accept a class directory without images.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        transform: Transform = None,
        target_transform: Transform = None,
        loader: Callable[[str], Any] | None = None,
        extensions: Sequence[str] | None = IMAGE_EXTENSIONS,
        is_valid_file: Callable[[str], bool] | None = None,
        mode: str | None = None,
        allow_empty: bool = False,
    ) -> None:
        self.root = os.fspath(root)
        self.transform = _checked(transform, "transform")
        self.target_transform = _checked(target_transform, "target_transform")
        self.loader = _checked(loader, "loader")
        if mode is not None:
            decode_image(b"P2 1 1 1 0", mode=mode)  # a bad mode fails here, not per sample
        self.mode = mode
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(
            extensions, _checked(is_valid_file, "is_valid_file"), allow_empty
        )
        self.targets = [t for _, t in self.samples]

    def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
        """The classes of ``directory`` (override to choose them differently)."""
        return find_classes(directory)

    def make_dataset(
        self,
        extensions: Sequence[str] | None,
        is_valid_file: Callable[[str], bool] | None,
        allow_empty: bool,
    ) -> list[tuple[str, int]]:
        """``(path, class_index)`` for every file kept, class by class."""
        exts = _extensions(extensions)
        if is_valid_file is None:
            if exts is None:
                raise DataValueError("give extensions or is_valid_file")
            valid: Callable[[str], bool] = lambda p: p.lower().endswith(exts)  # noqa: E731
        else:
            valid = is_valid_file
        samples = []
        for cls in self.classes:
            files = _files(self.root, os.path.join(self.root, cls), valid)
            if not files and not allow_empty:
                raise SourceError(
                    f"class {cls!r} has no image files in {os.path.join(self.root, cls)} "
                    "(pass allow_empty=True to accept it)"
                )
            samples += [(f, self.class_to_idx[cls]) for f in files]
        return samples

    def load(self, path: str) -> Any:
        """Decode one file with ``loader`` (or the default decoder)."""
        if self.loader is not None:
            return self.loader(path)
        return decode_image(path, mode=self.mode)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        img = self.load(path)
        if self.transform is not None:
            img = self.transform(img)
        out: Any = target if self.target_transform is None else self.target_transform(target)
        return img, out

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def imgs(self) -> list[tuple[str, int]]:
        return self.samples

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.root!r}, {len(self)} samples, {len(self.classes)} classes)"


def _read_val_labels(path: str) -> dict[str, str]:
    """Image stem -> wnid from a Kaggle ``LOC_val_solution.csv`` (``ImageId,PredictionString``)
    or a text file of ``<file name> <wnid>`` lines."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read(64 << 20)
            if f.read(1):
                raise FormatError("a labels file over 64 MiB", source=path)
    except OSError as e:
        raise SourceError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise FormatError(f"not UTF-8 text: {e.reason}", source=path, offset=e.start) from None
    out: dict[str, str] = {}
    if text.startswith("ImageId,"):
        for i, row in enumerate(csv.reader(text.splitlines()[1:]), start=2):
            if not row:
                continue
            if len(row) < 2 or not row[1].split():
                raise FormatError("expected ImageId,PredictionString", source=path, record=i)
            out[row[0]] = row[1].split()[0]
        return out
    for i, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise FormatError(f"expected '<file> <wnid>', got {line[:80]!r}", source=path, record=i)
        out[os.path.splitext(parts[0])[0]] = parts[1]
    return out


class ImageNet(ImageFolder):
    """ImageNet (ILSVRC) in its usual layouts: ``root/train/<wnid>/*.JPEG``, and for
    validation either ``root/val/<wnid>/*.JPEG`` or ``root/val/*.JPEG`` with a labels file.

    Classes are the sorted wnids of ``root/train``; ``root/LOC_synset_mapping.txt``
    (``<wnid> <names>`` lines), when present, gives ``wnid_to_classes``. JPEG decoding needs
    Pillow (or a ``loader``).

    Args:
        root: the dataset directory.
        split: ``"train"`` or ``"val"``.
        val_labels: the validation labels file (default: ``root/LOC_val_solution.csv`` or
            ``root/val_labels.txt``), used when ``root/val`` has no class directories.
        **kwargs: as :class:`ImageFolder`.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        val_labels: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if split not in ("train", "val"):
            raise DataValueError(f"split must be 'train' or 'val', got {split!r}")
        self.split, self.base = split, os.fspath(root)
        self._val_labels = None if val_labels is None else os.fspath(val_labels)
        self.wnid_to_classes: dict[str, tuple[str, ...]] = {}
        mapping = os.path.join(self.base, "LOC_synset_mapping.txt")
        if os.path.isfile(mapping):
            with open(mapping, encoding="utf-8") as f:
                for line in f:
                    wnid, _, names = line.strip().partition(" ")
                    if wnid:
                        self.wnid_to_classes[wnid] = tuple(n.strip() for n in names.split(","))
        super().__init__(os.path.join(self.base, split), **kwargs)
        self.wnids = self.classes

    def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
        train = os.path.join(self.base, "train")
        if os.path.isdir(train):
            return find_classes(train)
        if self.wnid_to_classes:
            wnids = sorted(self.wnid_to_classes)
            return wnids, {w: i for i, w in enumerate(wnids)}
        return find_classes(directory)

    def make_dataset(
        self, extensions: Any, is_valid_file: Any, allow_empty: bool
    ) -> list[tuple[str, int]]:
        val_dir = os.path.join(self.base, "val")
        if self.split == "train" or any(
            os.path.isdir(os.path.join(val_dir, c)) for c in self.classes
        ):
            return super().make_dataset(extensions, is_valid_file, True)
        path = self._val_labels
        if path is None:
            for name in ("LOC_val_solution.csv", "val_labels.txt"):
                if os.path.isfile(os.path.join(self.base, name)):
                    path = os.path.join(self.base, name)
                    break
        if path is None:
            raise SourceError(
                f"{val_dir} has no class directories and no labels file was found "
                "(LOC_val_solution.csv or val_labels.txt); pass val_labels="
            )
        labels = _read_val_labels(path)
        exts = _extensions(extensions) or ()
        samples = []
        for f in _files(self.base, val_dir, lambda p: p.lower().endswith(exts)):
            stem = os.path.splitext(os.path.basename(f))[0]
            wnid = labels.get(stem)
            if wnid is None:
                raise FormatError(f"no label for {os.path.basename(f)}", source=path)
            if wnid not in self.class_to_idx:
                raise FormatError(f"{stem}: unknown wnid {wnid!r}", source=path)
            samples.append((f, self.class_to_idx[wnid]))
        return samples


class VideoFolder(ImageFolder):
    """Video clips stored as frame images: ``root/<class>/<clip>/<frame images>``.

    A sample is ``(frames, class_index)`` with ``frames`` a uint8 ``(T, H, W, C)`` tensor of
    the clip's frames in natural name order (``f2`` before ``f10``). Encoded video files
    (MP4, WebM) are not decoded: extract frames first (e.g. ``ffmpeg -i clip.mp4
    clip/%05d.png``).

    Args:
        root: the directory of class directories.
        frames_per_clip: take this many frames, evenly spaced (None: every frame).
        transform: applied to the ``(T, H, W, C)`` tensor.
        **kwargs: ``target_transform``, ``loader``, ``extensions``, ``mode`` as
            :class:`ImageFolder`.
    """

    def __init__(
        self, root: str | os.PathLike[str], frames_per_clip: int | None = None, **kwargs: Any
    ) -> None:
        if frames_per_clip is not None and (
            isinstance(frames_per_clip, bool)
            or not isinstance(frames_per_clip, int)
            or frames_per_clip < 1
        ):
            raise DataValueError(
                f"frames_per_clip must be an integer >= 1, got {frames_per_clip!r}"
            )
        self.frames_per_clip = frames_per_clip
        super().__init__(root, **kwargs)

    def make_dataset(
        self, extensions: Any, is_valid_file: Any, allow_empty: bool
    ) -> list[tuple[str, int]]:
        exts = _extensions(extensions) or ()
        self.clip_frames: dict[str, list[str]] = {}
        samples = []
        for cls in self.classes:
            folder = os.path.join(self.root, cls)
            for clip in sorted(e.name for e in os.scandir(folder) if e.is_dir()):
                clip_dir = os.path.join(folder, clip)
                frames = [
                    os.path.join(clip_dir, n)
                    for n in sorted(os.listdir(clip_dir), key=_natural)
                    if n.lower().endswith(exts) and _inside(self.root, os.path.join(clip_dir, n))
                ]
                if frames:
                    self.clip_frames[clip_dir] = frames
                    samples.append((clip_dir, self.class_to_idx[cls]))
            if not any(t == self.class_to_idx[cls] for _, t in samples) and not allow_empty:
                raise SourceError(f"class {cls!r} has no clip directories with frames in {folder}")
        return samples

    def load(self, path: str) -> Tensor:
        frames = self.clip_frames[path]
        n = self.frames_per_clip
        if n is not None and n < len(frames):
            frames = [frames[(i * len(frames)) // n] for i in range(n)]
        imgs = [super(VideoFolder, self).load(f) for f in frames]
        shapes = {img.shape for img in imgs}
        if len(shapes) != 1:
            raise FormatError(f"frames of different sizes {sorted(shapes)}", source=path)
        out = stack(imgs)
        if out.dtype is not _dtype.uint8:
            raise FormatError(f"frames decoded as {out.dtype}, not uint8", source=path)
        return out
