"""Transforms: composition, image and tabular preprocessing.

Every transform is a callable on one sample; random ones draw from
:func:`torsh_data.random.sample_generator`, so inside a :class:`~torsh_data.DataLoader` a
sample's result depends only on ``(seed, epoch, index)``, on every runtime.

Tabular transforms (:class:`Standardize`, :class:`MinMaxScale`, :class:`OneHot`,
:class:`FillMissing`, :class:`SelectColumns`) work on rows and ``[N, F]`` tensors, and say
so with a class attribute ``rowwise = True``: on a whole ``[N, F]`` tensor they give each
row's result, stacked (so a table's column can be transformed in one call).

Image transforms read the layout from the dtype: integer images are ``(H, W[, C])`` (as
decoded), float images ``(C, H, W)`` (after :class:`ToTensor`); a 2-D tensor is one channel.
Transforms may have a batch kernel (NOTE [ Batch kernels ] in ``_compose.py``): the same
transform on a stacked batch with bulk operations, every sample drawing from its own stream.
A :class:`~torsh_data.TransformDataset` in a :class:`~torsh_data.DataLoader` runs its
pipeline through them (:func:`apply_kernels`; :meth:`~torsh_data.DataLoader.plan` shows which
steps run batch-wise), with the per-sample path's exact bytes. The deterministic ones
(``ToTensor``, ``Normalize``, ``ConvertDtype``, ``Pad``, ``CenterCrop`` and ``Compose`` of
those) also act on a whole collated batch with ``.batch(batch)``; :class:`BatchTransform`
is the ``collate_fn`` that does so inside a loader.

Augmentation: :class:`ColorJitter` (and one-factor :class:`RandomBrightness` ...),
:class:`RandomRotation`, :class:`GaussianNoise`, :class:`RandomErasing`; pipelines with
per-step probability and a strength that follows the epoch or feedback
(:class:`AugmentationPipeline`, :class:`ProgressiveAugmentation`,
:class:`AdaptiveAugmentation`). Applied in a :class:`~torsh_data.TransformDataset`, they run
on the fly inside the loader, ahead of time in its workers.

Exact and fast image paths: this package's PNG/Netpbm decoders and its own resize give the
same bytes on CPython and in Pyodide (Node.js, every browser). Faster paths use the runtime's
C code and are not bit-identical across runtimes: Pillow natively (resize within 1 of the
exact bilinear), the browser's decoders (``decode_image_async``; JPEG differs by a step or
two between decoders) and its canvas scaler (within 1 when enlarging, a few levels on average
when reducing: each engine filters its own way). A PNG is lossless, so Pillow and browsers
decode it to the same pixels. For identical bytes everywhere, decode with
``decode_image(..., backend="python")`` (or ``decode_image_async(..., backend="python")``)
and resize with the exact path (``exact=True``, the default); ``exact=False`` asks for the
runtime's scaler where there is one.

>>> from torsh_data import Tensor
>>> pipeline = Compose([Pad(2), CenterCrop(28), ToTensor(), Normalize(0.1307, 0.3081)])
>>> pipeline(Tensor(bytes(28 * 28), shape=(28, 28))).shape
(1, 28, 28)
"""

from .._exports import publish as _publish
from ._augmentation import (
    AdaptiveAugmentation,
    AugmentationPipeline,
    AugmentationStats,
    DynamicAugmentationStrategy,
    ProgressionMode,
    ProgressiveAugmentation,
)
from ._batch import BatchTransform
from ._color import (
    ColorJitter,
    RandomBrightness,
    RandomContrast,
    RandomHue,
    RandomSaturation,
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
)
from ._compose import (
    Compose,
    Conditional,
    Lambda,
    RandomApply,
    RandomChoice,
    Transform,
    apply_kernels,
    kernel_plan,
    kernels_enabled,
)
from ._geometry import (
    CenterCrop,
    InterpolationMode,
    Pad,
    RandomCrop,
    RandomHorizontalFlip,
    RandomVerticalFlip,
    Resize,
)
from ._image import ConvertDtype, Normalize, ToTensor
from ._noise import GaussianNoise, RandomErasing
from ._resize import RandomResizedCrop
from ._rotate import RandomRotation, rotate
from ._tabular import FillMissing, MinMaxScale, OneHot, SelectColumns, Standardize

__all__ = [
    "AdaptiveAugmentation",
    "AugmentationPipeline",
    "AugmentationStats",
    "BatchTransform",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "Conditional",
    "ConvertDtype",
    "DynamicAugmentationStrategy",
    "FillMissing",
    "GaussianNoise",
    "InterpolationMode",
    "Lambda",
    "MinMaxScale",
    "Normalize",
    "OneHot",
    "Pad",
    "ProgressionMode",
    "ProgressiveAugmentation",
    "RandomApply",
    "RandomBrightness",
    "RandomChoice",
    "RandomContrast",
    "RandomCrop",
    "RandomErasing",
    "RandomHorizontalFlip",
    "RandomHue",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomSaturation",
    "RandomVerticalFlip",
    "Resize",
    "SelectColumns",
    "Standardize",
    "ToTensor",
    "Transform",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_hue",
    "adjust_saturation",
    "apply_kernels",
    "kernel_plan",
    "kernels_enabled",
    "rotate",
]

_publish(globals())
