"""Composition of transforms: :class:`Compose`, :class:`Lambda`, :class:`Conditional`,
:class:`RandomApply`, :class:`RandomChoice`.

A transform is any callable taking one sample and returning the transformed sample. Random
decisions come from :func:`torsh_data.random.sample_generator`, which inside a
:class:`~torsh_data.DataLoader` is the stream of ``(seed, epoch, sample index)``: a pipeline
gives the same result for a sample whatever the batch size, order, worker or runtime.

>>> double = Lambda(lambda x: 2 * x)
>>> Compose([double, Lambda(lambda x: x + 1)])(5)
11
>>> from torsh_data import random as tdr
>>> with tdr.sample_scope(seed=0, epoch=0, index=0):
...     RandomApply([double], p=1.0)(3), RandomChoice([double, double])(4)
(6, 8)
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Callable, Sequence
from typing import Any

from .._errors import DataTypeError, DataValueError
from ..random import SampleStreams, sample_generator
from ..tensor import Tensor, stack

__all__ = [
    "Compose",
    "Conditional",
    "Lambda",
    "RandomApply",
    "RandomChoice",
    "Transform",
    "apply_kernels",
    "kernel_plan",
    "kernels_enabled",
    "run_steps",
]

TransformFn = Callable[[Any], Any]


class Transform:
    """Base class of the transforms: a callable on one sample, chained with :meth:`then`.

    Any callable works as a transform; subclassing adds ``a.then(b)`` (``b(a(x))``) and
    ``a >> b`` for the same thing.

    >>> (Lambda(abs) >> Lambda(str))(-3)
    '3'

    NOTE [ Batch kernels ]: a transform may also offer ``kernel(x, gens)``, the same transform
    on ``N`` samples at once. ``x`` is a :class:`~torsh_data.Tensor` of shape ``(N, *s)``
    holding the samples stacked (``s`` the shape one sample has), ``gens[i]`` the random stream
    of sample ``i`` positioned where the per-sample call would start drawing. The kernel draws
    every sample's parameters from its own stream, in the order the per-sample call draws them,
    then works on the whole batch with bulk operations (slice copies, ``bytes.join``, strided
    slice assignment, ``translate`` tables, ``memoryview`` casts): never a Python loop over
    elements. It returns exactly the bytes of ``stack([self(x[i]) for i in range(N)])`` with
    sample ``i`` drawing from ``gens[i]``, so a loader may run either path; it returns
    ``NotImplemented`` when it cannot handle this input (the caller then runs the per-sample
    path). :func:`torsh_data.random.sample_generators` gives the streams.

    A kernel returns ``NotImplemented`` before it draws anything, so the caller's per-sample
    fallback starts every stream where it was. :func:`apply_kernels` runs a pipeline this
    way (each step batch-wise where it can, per sample where it cannot) and is what a
    :class:`~torsh_data.TransformDataset` in a :class:`~torsh_data.DataLoader` uses; a
    transform that draws nothing also sets ``deterministic = True``, which gives it
    :meth:`batch` (its kernel on a collated batch, outside any loader).
    """

    #: True when the transform never draws random numbers (its kernel ignores ``gens``).
    deterministic = False

    def __call__(self, sample: Any) -> Any:
        raise NotImplementedError

    def batch(self, samples: Any) -> Any:
        """This transform on a whole collated ``(N, ...)`` batch, at once.

        Only for deterministic transforms with a ``kernel`` (random transforms draw per
        sample: they run batch-wise inside a loader, see NOTE [ Batch kernels ]).
        """
        kernel = getattr(self, "kernel", None)
        if kernel is None or not self.deterministic:
            raise DataTypeError(
                f"{self!r} has no batch mode (it draws per sample or has no kernel); apply it "
                "per sample in the dataset instead"
            )
        x = samples if isinstance(samples, Tensor) else Tensor(samples)
        out = kernel(x, [None] * (x.shape[0] if x.shape else 0))
        if out is NotImplemented:
            return stack(_per_sample(self, list(x), [None] * len(x)))
        return out

    def then(self, other: TransformFn) -> Compose:
        """``other`` applied after this transform, as one :class:`Compose`."""
        first = self.transforms if type(self) is Compose else [self]
        return Compose([*first, other])

    def __rshift__(self, other: TransformFn) -> Compose:
        return self.then(other)


def _callables(transforms: Any, who: str) -> list[TransformFn]:
    if callable(transforms):
        transforms = [transforms]
    if isinstance(transforms, (str, bytes)) or not isinstance(transforms, (list, tuple)):
        raise DataTypeError(f"{who} takes a list of transforms, got {type(transforms).__name__}")
    out = list(transforms)
    for i, t in enumerate(out):
        if not callable(t):
            raise DataTypeError(f"{who}: transform {i} is a {type(t).__name__}, not a callable")
    return out


def _fuse(transforms: list[TransformFn]) -> list[TransformFn]:
    """Replace adjacent pairs that know a fused form (``a._fuse_next(b)``) by it.

    NOTE [ Fusion ]: ``ToTensor()`` followed by ``Normalize(...)`` becomes one lookup table per
    channel, ``Pad(n)`` followed by ``RandomCrop(...)`` one padded crop, and adjacent
    ``RandomCrop``, ``RandomHorizontalFlip`` and ``ToTensor`` (+ ``Normalize``) one
    :class:`~torsh_data.transforms._fused.FusedImage` (NOTE [ Strip crops ]). A fused step must
    give the same bits (and make the same random draws) as the steps it replaces; the
    transform tests compare both paths.
    """
    out: list[TransformFn] = []
    for t in transforms:
        if out:
            fuse = getattr(out[-1], "_fuse_next", None)
            fused = fuse(t) if fuse is not None else None
            if fused is not None:
                out[-1] = fused
                continue
        out.append(t)
    return out


class Compose(Transform):
    """Apply transforms in order.

    ``compose.kernel(x, gens)`` runs the pipeline on a stacked batch (NOTE [ Batch kernels ]):
    each step's kernel where it has one, the others per sample. ``compose.batch(batch)``
    does so outside a loader when every step is deterministic; it raises
    :class:`~torsh_data.DataTypeError` otherwise (random steps draw per sample).

    Args:
        transforms: the callables, applied first to last.
    """

    def __init__(self, transforms: Sequence[TransformFn]) -> None:
        self.transforms = _callables(transforms, "Compose")
        self._steps = _fuse(self.transforms)

    def __call__(self, sample: Any) -> Any:
        for step in self._steps:
            sample = step(sample)
        return sample

    @property
    def deterministic(self) -> bool:  # type: ignore[override]
        return all(getattr(step, "deterministic", False) for step in self._steps)

    def kernel(self, x: Tensor, gens: Sequence[Any]) -> Tensor:
        """Every step on the stacked batch ``x``; the results must stack again (a
        :class:`~torsh_data.ShapeError` names the sample and the shapes otherwise)."""
        out = apply_kernels(self, x, gens)
        return out if isinstance(out, Tensor) else stack(out)

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda(Transform):
    """Use a function as a transform (``batch`` is not offered: the function sees samples)."""

    def __init__(self, fn: TransformFn) -> None:
        if not callable(fn):
            raise DataTypeError(f"Lambda needs a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, sample: Any) -> Any:
        return self.fn(sample)

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.fn, '__name__', repr(self.fn))})"


def _probability(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise DataValueError(f"p must be a probability in [0, 1], got {p!r}")
    return float(p)


class RandomApply(Transform):
    """Apply all ``transforms`` (in order) with probability ``p``, else none of them.

    One uniform draw ``u`` in [0, 1) per call; the transforms run when ``u < p``.
    """

    def __init__(self, transforms: Sequence[TransformFn] | TransformFn, p: float = 0.5) -> None:
        self.transforms = _callables(transforms, "RandomApply")
        self.p = _probability(p)
        self._steps = _fuse(self.transforms)

    def __call__(self, sample: Any) -> Any:
        if sample_generator().random() < self.p:
            for step in self._steps:
                sample = step(sample)
        return sample

    def __repr__(self) -> str:
        return f"RandomApply({self.transforms!r}, p={self.p})"


class RandomChoice(Transform):
    """Apply one transform picked at random, uniformly or with relative weights ``p``.

    The pick is ``randbelow(len(transforms))`` without weights; with weights, the first
    transform whose cumulative weight exceeds ``u * total`` for one uniform draw ``u``.
    """

    def __init__(self, transforms: Sequence[TransformFn], p: Sequence[float] | None = None) -> None:
        self.transforms = _callables(transforms, "RandomChoice")
        if not self.transforms:
            raise DataValueError("RandomChoice needs at least one transform")
        self.p: list[float] | None = None
        self._cumulative: list[float] = []
        if p is not None:
            weights = list(p)
            if len(weights) != len(self.transforms):
                raise DataValueError(
                    f"RandomChoice has {len(self.transforms)} transforms and {len(weights)} weights"
                )
            for w in weights:
                if isinstance(w, bool) or not isinstance(w, (int, float)) or not w >= 0:
                    raise DataValueError(f"weights must be numbers >= 0, got {w!r}")
            self._cumulative = list(itertools.accumulate(float(w) for w in weights))
            if not 0 < self._cumulative[-1] < float("inf"):
                raise DataValueError(f"weights must have a finite positive sum, got {weights}")
            self.p = [float(w) for w in weights]

    def __call__(self, sample: Any) -> Any:
        gen = sample_generator()
        if self.p is None:
            k = gen.randbelow(len(self.transforms))
        else:
            cum = self._cumulative
            k = min(bisect.bisect_right(cum, gen.random() * cum[-1]), len(cum) - 1)
        return self.transforms[k](sample)

    def __repr__(self) -> str:
        return f"RandomChoice({self.transforms!r}, p={self.p})"


class Conditional(Transform):
    """Apply ``transform`` when ``predicate(sample)`` is true, else ``otherwise`` (default: keep
    the sample as it is). No random draw is made.

    >>> Conditional(lambda x: x * 10, lambda x: x > 2)(5), Conditional(abs, lambda x: x > 2)(-1)
    (50, -1)
    """

    def __init__(
        self,
        transform: TransformFn,
        predicate: Callable[[Any], bool],
        otherwise: TransformFn | None = None,
    ) -> None:
        for name, fn in (("transform", transform), ("predicate", predicate)):
            if not callable(fn):
                raise DataTypeError(f"Conditional: {name} must be callable, got {fn!r}")
        if otherwise is not None and not callable(otherwise):
            raise DataTypeError(f"Conditional: otherwise must be callable, got {otherwise!r}")
        self.transform, self.predicate, self.otherwise = transform, predicate, otherwise

    def __call__(self, sample: Any) -> Any:
        if self.predicate(sample):
            return self.transform(sample)
        return sample if self.otherwise is None else self.otherwise(sample)

    def __repr__(self) -> str:
        return f"Conditional({self.transform!r}, {self.predicate!r})"


# --- running a pipeline batch-wise -------------------------------------------------------------


def kernels_enabled() -> bool:
    """False when the environment sets ``TORSH_DATA_KERNELS=0``: loaders then run every
    transform per sample, as without kernels (for debugging a kernel; the batches are the
    same either way). Read at each batch, so worker processes follow the parent's setting."""
    return os.environ.get("TORSH_DATA_KERNELS", "1") != "0"


def _steps_of(transform: Any) -> list[Any]:
    """The steps ``transform`` runs, nested :class:`Compose` flattened (its fused steps)."""
    if type(transform) is not Compose:
        return [transform]
    return [s for step in transform._steps for s in _steps_of(step)]


def _stacked(xs: list[Any]) -> Tensor | None:
    """``xs`` as one stacked Tensor, or None unless all are Tensors of one shape and dtype."""
    first = xs[0] if xs else None
    if type(first) is not Tensor:
        return None
    shape, dt = first.shape, first.dtype
    for t in xs:
        if type(t) is not Tensor or t.shape != shape or t.dtype is not dt:
            return None
    return stack(xs)


def _per_sample(step: Any, xs: list[Any], gens: Sequence[Any]) -> list[Any]:
    """``[step(x) for x in xs]``, sample ``i`` drawing from ``gens[i]`` (None: a fresh stream)."""
    streams = SampleStreams(0, 0)
    out = []
    with streams:
        for i, (x, gen) in enumerate(zip(xs, gens, strict=True)):
            streams.at(i, gen)
            out.append(step(x))
    return out


def apply_kernels(transform: Any, xs: Tensor | list[Any], gens: Sequence[Any]) -> Any:
    """``transform`` on ``N`` samples at once, sample ``i`` drawing from ``gens[i]``.

    ``xs`` is the samples (a list) or their stack (an ``(N, ...)`` Tensor). Each step with a
    ``kernel`` runs on the stacked batch (NOTE [ Batch kernels ]); a step without one, or
    whose kernel returns ``NotImplemented``, or that meets samples of different shapes,
    runs per sample, and the next step may be batch-wise again. The result is the stacked
    batch (a Tensor) when the last step ran batch-wise, else the list of samples; either way
    the same values as ``[transform(x) for x in xs]``, so ``default_collate`` of the list
    and the stack agree.

    >>> from torsh_data import Tensor
    >>> from torsh_data.random import sample_generators
    >>> from torsh_data.transforms import Pad, ToTensor
    >>> x = Tensor(bytes(8), shape=(2, 2, 2))
    >>> apply_kernels(Compose([Pad(1), ToTensor()]), x, sample_generators(0, 0, [0, 1])).shape
    (2, 1, 4, 4)
    """
    if len(xs) != len(gens):
        raise DataValueError(f"apply_kernels: {len(xs)} samples and {len(gens)} streams")
    return run_steps(_steps_of(transform), xs, gens)


def run_steps(steps: Sequence[Any], xs: Tensor | list[Any], gens: Sequence[Any]) -> Any:
    """:func:`apply_kernels` for a list of steps. A fused step (one with ``parts``, the steps
    it stands for) that meets samples of different shapes runs its parts this way, so those
    that can still run batch-wise do."""
    cur: Any = xs
    use = kernels_enabled()
    for step in steps:
        kernel = getattr(step, "kernel", None) if use else None
        if kernel is not None:
            x = cur if type(cur) is Tensor else _stacked(cur)
            if x is not None:
                out = kernel(x, gens)
                if out is not NotImplemented:
                    cur = out
                    continue
                cur = x
            elif getattr(step, "parts", None):
                cur = run_steps(step.parts, cur, gens)
                continue
        cur = _per_sample(step, list(cur), gens)
    return cur


def kernel_plan(transform: Any) -> list[str]:
    """How :func:`apply_kernels` runs ``transform``: one line per step, batch-wise or per
    sample and why (fused steps appear as one; with ``TORSH_DATA_KERNELS=0`` every step
    runs per sample instead, see :func:`kernels_enabled`).

    >>> from torsh_data.transforms import RandomHorizontalFlip, ToTensor, Normalize
    >>> for line in kernel_plan(Compose([RandomHorizontalFlip(), Lambda(abs), ToTensor(),
    ...                                  Normalize(0.5, 0.5)])):
    ...     print(line)
    RandomHorizontalFlip(p=0.5): batch
    Lambda(abs): per sample (no kernel)
    ToTensor()+Normalize(mean=[0.5], std=[0.5]): batch
    """
    return [
        f"{step!r}: batch"
        if callable(getattr(step, "kernel", None))
        else f"{step!r}: per sample (no kernel)"
        for step in _steps_of(transform)
    ]
