"""The classic small image sets: :class:`MNIST` (and :class:`FashionMNIST`) from IDX files,
:class:`CIFAR10` from its binary batches, read from a local ``root`` or downloaded first with
``await MNIST.download(root)`` (sha256-checked, through an optional :class:`~torsh_data.io.Cache`).

Samples are ``(image, label)``: a uint8 :class:`~torsh_data.Tensor` image, ``(28, 28)`` for
MNIST and ``(32, 32, 3)`` for CIFAR-10 (the layout :mod:`torsh_data.transforms` expects), and
an ``int`` label, as torchvision gives them (a Tensor instead of a PIL image).

>>> import io, tempfile, os
>>> from torsh_data.formats import write_idx
>>> root = tempfile.mkdtemp()
>>> write_idx(os.path.join(root, "t10k-images-idx3-ubyte"), Tensor(bytes(2 * 784), shape=(2, 28, 28)))
>>> write_idx(os.path.join(root, "t10k-labels-idx1-ubyte"), Tensor([7, 2], dtype="uint8"))
>>> ds = MNIST(root, train=False)
>>> len(ds), ds[0][0].shape, ds[1][1], ds.classes[7]
(2, (28, 28), 2, '7 - seven')
"""

from __future__ import annotations

import os
import tarfile
import zlib
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from .. import _dtype
from .._errors import DataTypeError, FormatError, SourceError
from ..datasets import Dataset
from ..formats import read_bytes, read_idx
from ..tensor import Tensor

__all__ = ["CIFAR10", "MNIST", "FashionMNIST"]

Transform = Callable[[Any], Any] | None
_MAX_ARCHIVE_MEMBER = 64 << 20


class LabelledImages(Dataset[tuple[Any, Any]]):
    """``(data[i], targets[i])`` with optional ``transform``/``target_transform``."""

    classes: ClassVar[list[str]] = []

    def __init__(
        self, data: Tensor, targets: list[int], transform: Transform, target_transform: Transform
    ) -> None:
        self.data, self.targets = data, targets
        self.transform, self.target_transform = transform, target_transform

    @staticmethod
    def _check(transform: Transform, target_transform: Transform) -> None:
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise DataTypeError(f"{name} must be callable, got {fn!r}")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img: Any = self.data[index]
        target: Any = self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.targets)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} samples, image shape {self.data.shape[1:]})"


def _check_labels(labels: list[int], n_classes: int, label: str) -> None:
    bad = next((v for v in labels if not 0 <= v < n_classes), None)
    if bad is not None:
        raise FormatError(f"label {bad} is not one of the {n_classes} classes", source=label)


async def _download(
    root: str | os.PathLike[str],
    files: Mapping[str, str | None],
    base_url: str,
    cache: Any,
    timeout: float | None,
) -> list[str]:
    """Fetch ``files`` (name -> sha256 or None) from ``base_url`` into ``root``."""
    from ..io import fetch_bytes

    os.makedirs(root, exist_ok=True)
    paths = []
    for name, sha in files.items():
        path = os.path.join(root, name)
        if not os.path.exists(path):
            data = await fetch_bytes(
                base_url.rstrip("/") + "/" + name, sha256=sha, cache=cache, timeout=timeout
            )
            tmp = path + ".part"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        paths.append(path)
    return paths


class MNIST(LabelledImages):
    """MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grey.

    Reads ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (or the ``.gz`` files) from
    ``root``, or from ``root/<ClassName>/raw`` (torchvision's layout).

    Args:
        root: the directory holding the files.
        train: the training split, else the test split.
        transform: applied to each image.
        target_transform: applied to each label.
    """

    base_url = "https://ossci-datasets.s3.amazonaws.com/mnist/"
    #: file name -> sha256 checked on download (the published MNIST files).
    sha256: ClassVar[dict[str, str | None]] = {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }
    classes: ClassVar[list[str]] = [
        "0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
        "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine",
    ]  # fmt: skip

    def __init__(
        self,
        root: str | os.PathLike[str],
        train: bool = True,
        transform: Transform = None,
        target_transform: Transform = None,
    ) -> None:
        self._check(transform, target_transform)
        self.root, self.train = os.fspath(root), bool(train)
        prefix = "train" if self.train else "t10k"
        images = self._find(f"{prefix}-images-idx3-ubyte")
        labels = self._find(f"{prefix}-labels-idx1-ubyte")
        data, targets = read_idx(images), read_idx(labels)
        if data.dtype is not _dtype.uint8 or data.ndim != 3:
            raise FormatError(
                f"expected uint8 images (N, H, W), got {data.dtype} {data.shape}", source=images
            )
        if targets.dtype is not _dtype.uint8 or targets.ndim != 1 or len(targets) != len(data):
            raise FormatError(
                f"expected {len(data)} uint8 labels, got {targets.dtype} {targets.shape}",
                source=labels,
            )
        values = targets.tolist()
        _check_labels(values, len(self.classes), labels)
        super().__init__(data, values, transform, target_transform)

    @classmethod
    def _files(cls, train: bool | None = None) -> list[str]:
        splits = ("train", "t10k") if train is None else ("train",) if train else ("t10k",)
        return [f"{s}-{k}-ubyte" for s in splits for k in ("images-idx3", "labels-idx1")]

    def _find(self, name: str) -> str:
        for folder in (self.root, os.path.join(self.root, type(self).__name__, "raw")):
            for candidate in (name, name + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.isfile(path):
                    return path
        raise SourceError(
            f"{type(self).__name__}: {name}[.gz] is not in {self.root}; "
            f"download it with: await {type(self).__name__}.download(root)"
        )

    @classmethod
    async def download(
        cls,
        root: str | os.PathLike[str],
        *,
        base_url: str | None = None,
        sha256: Mapping[str, str | None] | None = None,
        cache: Any = None,
        timeout: float | None = 600,
    ) -> None:
        """Download the four ``.gz`` files into ``root`` (files already there are kept).

        Args:
            root: the target directory.
            base_url: where the files are (default :attr:`base_url`).
            sha256: file name -> hex digest the download must have (default :attr:`sha256`).
            cache: a :class:`~torsh_data.io.Cache` to read first and fill.
            timeout: seconds per file.
        """
        digests = dict(cls.sha256 if sha256 is None else sha256)
        files = {f + ".gz": digests.get(f + ".gz") for f in cls._files()}
        await _download(root, files, base_url or cls.base_url, cache, timeout)


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): MNIST's file format and sizes, ten kinds of clothing."""

    base_url = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    #: not pinned here: pass ``download(sha256={...})`` to check the files.
    sha256: ClassVar[dict[str, str | None]] = {}
    classes: ClassVar[list[str]] = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]  # fmt: skip


class CIFAR10(LabelledImages):
    """CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

    Reads the binary version: ``data_batch_1.bin`` ... ``data_batch_5.bin`` (train) or
    ``test_batch.bin`` from ``root`` or ``root/cifar-10-batches-bin``, or straight from the
    ``cifar-10-binary.tar.gz`` archive in ``root``. A record is one label byte and 3,072 pixel
    bytes (the red, green and blue planes); images come out ``(32, 32, 3)``.

    Args:
        root: the directory holding the files (or the archive).
        train: the five training batches, else the test batch.
        transform: applied to each image.
        target_transform: applied to each label.
    """

    base_url = "https://www.cs.toronto.edu/~kriz/"
    archive = "cifar-10-binary.tar.gz"
    #: sha256 of :attr:`archive` (None: not checked unless ``download(sha256=...)``).
    sha256: str | None = None
    classes: ClassVar[list[str]] = [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ]  # fmt: skip
    _RECORD = 1 + 32 * 32 * 3

    def __init__(
        self,
        root: str | os.PathLike[str],
        train: bool = True,
        transform: Transform = None,
        target_transform: Transform = None,
    ) -> None:
        self._check(transform, target_transform)
        self.root, self.train = os.fspath(root), bool(train)
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] if self.train else ["test_batch.bin"]
        blobs = [self._read(n, names) for n in names]
        pixels, targets = bytearray(), []
        for name, blob in zip(names, blobs, strict=True):
            if not blob or len(blob) % self._RECORD:
                raise FormatError(
                    f"{len(blob)} bytes is not a whole number of {self._RECORD}-byte records",
                    source=name,
                )
            labels = list(blob[:: self._RECORD])
            _check_labels(labels, 10, name)
            targets += labels
            pixels += _planes_to_hwc(blob, len(labels))
        data = Tensor._make(memoryview(pixels), _dtype.uint8, (len(targets), 32, 32, 3))
        super().__init__(data, targets, transform, target_transform)

    def _read(self, name: str, names: list[str]) -> bytes:
        for folder in (self.root, os.path.join(self.root, "cifar-10-batches-bin")):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return read_bytes(path, max_bytes=_MAX_ARCHIVE_MEMBER)
        tgz = os.path.join(self.root, self.archive)
        if os.path.isfile(tgz):
            if not hasattr(self, "_members"):
                self._members = _read_tar(tgz, set(names))
            if name in self._members:
                return self._members[name]
        raise SourceError(
            f"CIFAR10: {name} is not in {self.root} (nor in {self.archive}); "
            "download it with: await CIFAR10.download(root)"
        )

    @classmethod
    async def download(
        cls,
        root: str | os.PathLike[str],
        *,
        base_url: str | None = None,
        sha256: str | None = None,
        cache: Any = None,
        timeout: float | None = 600,
    ) -> None:
        """Download ``cifar-10-binary.tar.gz`` into ``root`` (checked against ``sha256`` when
        given); it is read from there without unpacking."""
        files = {cls.archive: sha256 or cls.sha256}
        await _download(root, files, base_url or cls.base_url, cache, timeout)


def _planes_to_hwc(blob: bytes, n: int) -> bytearray:
    """Records of (label, R plane, G plane, B plane) -> interleaved HWC pixels."""
    out = bytearray(n * 3072)
    view = memoryview(blob)
    for i in range(n):
        src, dst = i * 3073 + 1, i * 3072
        for k in range(3):
            out[dst + k : dst + 3072 : 3] = view[src + k * 1024 : src + (k + 1) * 1024]
    return out


def _read_tar(path: str, wanted: set[str]) -> dict[str, bytes]:
    """The ``wanted`` members (by base name) of a tar.gz, read in memory, sizes capped."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r|gz") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if base not in wanted or not member.isfile():
                    continue
                if member.size > _MAX_ARCHIVE_MEMBER:
                    raise FormatError(
                        f"member {member.name} claims {member.size} bytes", source=path
                    )
                f = tar.extractfile(member)
                if f is not None:
                    found[base] = f.read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise FormatError(f"not a readable tar.gz archive: {e}", source=path) from None
    return found
