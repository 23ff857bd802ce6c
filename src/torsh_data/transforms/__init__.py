"""Transforms: composition, image and tabular preprocessing.

Every transform is a callable on one sample; random ones draw from
:func:`torsh_data.random.sample_generator`, so inside a :class:`~torsh_data.DataLoader` a
sample's result depends only on ``(seed, epoch, index)``, on every runtime.

Tabular transforms (:class:`Standardize`, :class:`MinMaxScale`, :class:`OneHot`,
:class:`FillMissing`, :class:`SelectColumns`) work on rows and ``[N, F]`` tensors.

Image transforms read the layout from the dtype: integer images are ``(H, W[, C])`` (as
decoded), float images ``(C, H, W)`` (after :class:`ToTensor`); a 2-D tensor is one channel.
``ToTensor``, ``Normalize``, ``ConvertDtype``, ``Pad``, ``CenterCrop`` and ``Compose`` of those
also act on a whole collated batch with ``.batch(batch)``; :class:`BatchTransform` is the
``collate_fn`` that does so inside a loader.

>>> from torsh_data import Tensor
>>> pipeline = Compose([Pad(2), CenterCrop(28), ToTensor(), Normalize(0.1307, 0.3081)])
>>> pipeline(Tensor(bytes(28 * 28), shape=(28, 28))).shape
(1, 28, 28)
"""

from ._batch import BatchTransform
from ._compose import Compose, Lambda, RandomApply, RandomChoice
from ._geometry import (
    CenterCrop,
    Pad,
    RandomCrop,
    RandomHorizontalFlip,
    RandomVerticalFlip,
    Resize,
)
from ._image import ConvertDtype, Normalize, ToTensor
from ._tabular import FillMissing, MinMaxScale, OneHot, SelectColumns, Standardize

__all__ = [
    "BatchTransform",
    "CenterCrop",
    "Compose",
    "ConvertDtype",
    "FillMissing",
    "Lambda",
    "MinMaxScale",
    "Normalize",
    "OneHot",
    "Pad",
    "RandomApply",
    "RandomChoice",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Resize",
    "SelectColumns",
    "Standardize",
    "ToTensor",
]
