"""The batched fetch of a :class:`~torsh_data.TransformDataset`: its transform run on the
whole batch through the transforms' kernels.

NOTE [ Lifted pipelines ]: in a :class:`~torsh_data.DataLoader` whose ``collate_fn`` is
``default_collate`` (or ``finish`` after it), ``TransformDataset(ds, Compose([...]))`` makes
each batch in one go, without the user changing a line:

1. the base samples come from ``ds.__getbatch__`` when it has one that draws nothing (its
   fields already stacked; a :class:`~torsh_data.Tensor` as the dataset is gathered with
   ``Tensor.take``), else from ``ds[i]`` per index inside the loader's stream of ``i``; each
   sample's stream is taken where the base fetch left it;
2. the transformed field runs through :func:`~torsh_data.transforms.apply_kernels`: each
   step's kernel on the stacked batch, a step without one per sample;
3. ``target_transform`` runs after it on each sample's stream (batch-wise when it has
   kernels), the other fields are collated as ``default_collate`` does.

The batch is what ``default_collate`` makes of the per-sample path's samples, bit for bit,
and the same for any batch size, order and worker count (every sample draws from its own
``(seed, epoch, index)`` stream). Where the samples do not fit this (a structure that
differs between samples, a transform without any kernel, ``TORSH_DATA_KERNELS=0``) the
fetch returns ``NotImplemented`` and the loader runs the per-sample path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..collate import collate, default_collate_fn_map
from ..collate._output import to_output
from ..random import SampleStreams, sample_generator, sample_generators
from ..tensor import Tensor
from ..transforms import apply_kernels, kernel_plan, kernels_enabled

__all__ = ["batch_plan", "transformed_batch"]


_KERNELS_OF: dict[int, tuple[Any, bool]] = {}  # id(transform) -> (transform, has a kernel)


def _has_kernel(transform: Any) -> bool:
    """Whether some step of ``transform`` has a kernel (kept per transform: asked per batch)."""
    found = _KERNELS_OF.get(id(transform))
    if found is None or found[0] is not transform:
        if len(_KERNELS_OF) > 64:
            _KERNELS_OF.clear()
        has = any(line.endswith(": batch") for line in kernel_plan(transform))
        found = _KERNELS_OF[id(transform)] = (transform, has)
    return found[1]


def _pure_batch(base: Any) -> Any:
    """``base.__getbatch__`` when it has one that draws nothing (a Tensor's ``take``: its
    rows are its samples), else None."""
    if type(base) is Tensor and base.ndim:
        return base.take
    getbatch = getattr(base, "__getbatch__", None)
    if getbatch is None or getattr(base, "batch_streams", False):
        return None
    return getbatch


def _is_pair(sample: Any) -> bool:
    """Whether :class:`TransformDataset` transforms this sample field-wise."""
    return isinstance(sample, tuple) and len(sample) >= 2


def _from_batch(base: Any, indices: list[int]) -> tuple[Any, list[Any] | None] | None:
    """``(x, fields)`` from the base's pure batched fetch: ``x`` the stacked field to
    transform, ``fields`` all collated fields (None: the sample is transformed whole); None
    when the base has no such fetch or its batch is not stacked tensors."""
    getbatch = _pure_batch(base)
    if getbatch is None:
        return None
    if type(base) is Tensor:  # its samples are its rows: no pair, nothing to probe
        return getbatch(indices), None
    probe = base[indices[0]]  # the structure of a sample (the batch does not show it)
    batch = getbatch(indices)
    n = len(indices)
    if batch is NotImplemented:
        return None
    if not _is_pair(probe):
        ok = type(batch) is Tensor and batch.shape[:1] == (n,)
        return (batch, None) if ok else None
    if not isinstance(batch, (list, tuple)) or len(batch) != len(probe):
        return None
    if any(type(f) is not Tensor or f.shape[:1] != (n,) for f in batch):
        return None
    return batch[0], list(batch)


def transformed_batch(ds: Any, indices: Sequence[int], streams: SampleStreams | None) -> Any:
    """The batch of ``ds`` (a :class:`TransformDataset`) at ``indices``, made as NOTE
    [ Lifted pipelines ] says, or ``NotImplemented``."""
    transform, target = ds.transform, ds.target_transform
    if streams is None or transform is None or not _has_kernel(transform):
        return NotImplemented
    if not kernels_enabled():
        return NotImplemented
    indices = list(indices)
    if not indices:
        return NotImplemented
    base = ds.dataset
    found = _from_batch(base, indices)
    fields: list[Any] | None
    gens: Sequence[Any]
    if found is not None:
        xs, fields = found
        gens = sample_generators(streams.seed, streams.epoch, indices)
    else:
        samples: list[Any] = []
        made: list[Any] = []
        for i in indices:
            streams.at(i)
            samples.append(base[i])
            made.append(sample_generator())
        gens = made
        pair = _is_pair(samples[0])
        if any(_is_pair(s) != pair for s in samples):
            return NotImplemented
        if not pair:
            xs, fields = samples, None
        else:
            if len({len(s) for s in samples}) != 1:
                return NotImplemented  # default_collate's error, from the per-sample path
            fields = list(zip(*samples, strict=True))  # the columns, per sample
            xs = list(fields[0])
    x = apply_kernels(transform, xs, gens)
    if fields is None:
        return to_output(x if type(x) is Tensor else _collate(x, "sample"), "auto")
    out = [x if type(x) is Tensor else _collate(x, "sample[0]")]
    for j, field in enumerate(fields[1:], start=1):
        if j == 1 and target is not None:  # after the transform, on each sample's stream
            y = apply_kernels(target, list(field), gens)
            out.append(y if type(y) is Tensor else _collate(y, "sample[1]"))
        elif type(field) is Tensor:
            out.append(field)
        else:
            out.append(_collate(list(field), f"sample[{j}]"))
    return to_output(out, "auto")


def _collate(values: list[Any], path: str) -> Any:
    return collate(values, collate_fn_map=default_collate_fn_map, path=path)


def batch_plan(ds: Any) -> list[str]:
    """How a loader makes a batch of ``ds`` (a :class:`TransformDataset`), one line a step."""
    base = ds.dataset
    name = type(base).__name__
    if ds.transform is None or not kernels_enabled() or not _has_kernel(ds.transform):
        why = (
            "TORSH_DATA_KERNELS=0"
            if not kernels_enabled()
            else "no transform step has a kernel"
            if ds.transform is not None
            else "no transform"
        )
        return [f"TransformDataset: per sample ({why})", "default_collate"]
    fetch = (
        f"{name}: per index (no __getbatch__ that draws nothing)"
        if _pure_batch(base) is None
        else f"{name}: batched fetch (take)"
        if type(base) is Tensor
        else f"{name}: batched fetch (__getbatch__)"
    )
    lines = [fetch, *kernel_plan(ds.transform)]
    if ds.target_transform is not None:
        lines += [f"target_transform {line}" for line in kernel_plan(ds.target_transform)]
    return [*lines, "default_collate of the other fields"]
