"""Text classification datasets: texts with labels, a folder per class, the IMDB layout.

>>> ds = TextClassificationDataset(["good film", "bad film", "good"], ["pos", "neg", "pos"])
>>> ds.classes, len(ds.vocab)
(['neg', 'pos'], 5)
>>> ids, label = ds[0]
>>> ids.tolist(), label
([2, 3], 1)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._checks import check_int
from .._errors import DataIndexError, DataValueError, FormatError, SourceError
from ..datasets import Dataset
from ..tensor import Tensor, tensor
from ._basic import basic_english
from ._vocab import Vocab, build_vocab_from_iterator

__all__ = ["IMDB", "TextClassificationDataset", "TextFolder"]


def _classes(labels: Sequence[Any]) -> tuple[list[Any], list[int]]:
    if all(isinstance(y, int) and not isinstance(y, bool) for y in labels):
        return sorted(set(labels)), list(labels)
    classes = sorted({str(y) for y in labels})
    index = {c: i for i, c in enumerate(classes)}
    return classes, [index[str(y)] for y in labels]


class TextClassificationDataset(Dataset[tuple[Tensor, int]]):
    """Texts and their labels as ``(token ids, class index)`` samples.

    Args:
        texts: the texts.
        labels: one label per text: class indices (ints, kept as they are) or names (str,
            indexed in sorted order: ``classes[i]`` is the name of index ``i``).
        tokenizer: text -> tokens (torchtext's ``basic_english`` by default).
        vocab: a :class:`Vocab`; built from ``texts`` (with ``min_freq``, specials ``<pad>``
            = 0 and ``<unk>`` = 1 as the default index) when not given.
        max_length: truncate the ids to this many.
        transform: applied to the ids tensor.
    """

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[Any],
        tokenizer: Callable[[str], list[str]] = basic_english,
        vocab: Vocab | None = None,
        max_length: int | None = None,
        min_freq: int = 1,
        transform: Callable[[Tensor], Any] | None = None,
    ) -> None:
        if len(texts) != len(labels):
            raise DataValueError(f"{len(texts)} texts but {len(labels)} labels")
        self.texts, self.tokenizer, self.transform = list(texts), tokenizer, transform
        self.max_length = (
            None if max_length is None else check_int("max_length", max_length, minimum=1)
        )
        self.classes, self.targets = _classes(labels)
        if vocab is None:
            vocab = build_vocab_from_iterator(
                map(tokenizer, self.texts), min_freq, ["<pad>", "<unk>"]
            )
            vocab.set_default_index(1)
        self.vocab = vocab

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        if not -len(self) <= index < len(self):
            raise DataIndexError(f"index {index} out of range for {len(self)} texts")
        ids = self.vocab.lookup_indices(self.tokenizer(self.texts[index]))[: self.max_length]
        x: Any = tensor(ids, dtype="int64")
        return (self.transform(x) if self.transform else x), self.targets[index]


def _read_text(path: str, encoding: str) -> str:
    try:
        with open(path, encoding=encoding) as f:
            return f.read()
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"not {encoding} text: {exc.reason}", source=path, offset=exc.start
        ) from None
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc


class TextFolder(Dataset[tuple[Any, int]]):
    """Text files in one folder per class (``root/<class>/**/*.txt``) as ``(text, class index)``.

    Classes are the sub-folder names in sorted order (``classes``, ``class_to_idx``, as
    torchvision's ``ImageFolder``); files are found recursively, in sorted order, without
    following symbolic links; files are read when indexed.

    Args:
        root: the folder.
        extensions: file name endings to take (case-insensitive).
        encoding: the files' text encoding.
        transform: applied to the text; ``target_transform`` to the class index.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        extensions: Sequence[str] = (".txt",),
        encoding: str = "utf-8",
        transform: Callable[[str], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        classes: Sequence[str] | None = None,
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise SourceError(f"{self.root} is not a folder")
        self.encoding, self.transform, self.target_transform = encoding, transform, target_transform
        found = sorted(e.name for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False))
        self.classes = list(found if classes is None else classes)
        missing = [c for c in self.classes if c not in found]
        if missing or not self.classes:
            raise SourceError(f"{self.root}: no class folder {missing or ''}".rstrip())
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        ends = tuple(e.lower() for e in extensions)
        self.samples: list[tuple[str, int]] = []
        for c in self.classes:
            for folder, dirs, files in os.walk(self.root / c):
                dirs.sort()
                self.samples += [
                    (os.path.join(folder, f), self.class_to_idx[c])
                    for f in sorted(files)
                    if f.lower().endswith(ends) and not os.path.islink(os.path.join(folder, f))
                ]
        self.targets = [y for _, y in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not -len(self) <= index < len(self):
            raise DataIndexError(f"index {index} out of range for {len(self)} files")
        path, y = self.samples[index]
        text: Any = _read_text(path, self.encoding)
        return (
            self.transform(text) if self.transform else text,
            self.target_transform(y) if self.target_transform else y,
        )


class IMDB(TextFolder):
    """The IMDB movie reviews (Maas et al., 2011) from the ``aclImdb`` layout on disk:
    ``root/{train,test}/{neg,pos}/<id>_<rating>.txt``, as ``(text, label)`` with ``neg`` = 0 and
    ``pos`` = 1 (the ``unsup`` folder is not a class). ``root`` may be the folder that holds
    ``aclImdb/``. Download and unpack ``aclImdb_v1.tar.gz`` yourself (see
    :func:`torsh_data.io.fetch_bytes`).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        transform: Callable[[str], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        if split not in ("train", "test"):
            raise DataValueError(f"IMDB split is 'train' or 'test', not {split!r}")
        base = Path(root)
        if not (base / split).is_dir() and (base / "aclImdb" / split).is_dir():
            base = base / "aclImdb"
        super().__init__(
            base / split, (".txt",), "utf-8", transform, target_transform, ["neg", "pos"]
        )
        self.split = split
