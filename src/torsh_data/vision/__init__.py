"""Vision datasets and image conversions.

- :class:`MNIST`, :class:`FashionMNIST` (IDX files), :class:`CIFAR10` (binary batches or
  their tar.gz): local files, or ``await Dataset.download(root)`` first.
- :class:`ImageFolder` (a directory per class), :class:`ImageNet` (``train/<wnid>/`` and the
  validation labels layouts), :class:`VideoFolder` (a directory of frames per clip).
- :class:`ImageToTensor` / :class:`TensorToImage` (PNG bytes <-> float ``(C, H, W)``),
  :class:`VideoToTensor` / :class:`TensorToVideo`, :func:`encode_png`.

Samples are :class:`~torsh_data.Tensor` images ready for :mod:`torsh_data.transforms`.
"""

from .._exports import publish as _publish
from ._classic import CIFAR10, MNIST, FashionMNIST
from ._convert import (
    ImageToTensor,
    TensorToImage,
    TensorToVideo,
    VideoToTensor,
    encode_png,
    to_uint8_hwc,
)
from ._folders import ImageFolder, ImageNet, VideoFolder, find_classes

__all__ = [
    "CIFAR10",
    "MNIST",
    "FashionMNIST",
    "ImageFolder",
    "ImageNet",
    "ImageToTensor",
    "TensorToImage",
    "TensorToVideo",
    "VideoFolder",
    "VideoToTensor",
    "encode_png",
    "find_classes",
    "to_uint8_hwc",
]

_publish(globals())
