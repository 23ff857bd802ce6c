"""What kind of tensor a batch holds: ours, torch's or numpy's (``DataLoader(output=...)``).

NOTE [ torch in, torch out ]: with ``output="auto"`` a batch that holds a torch tensor anywhere
(which, with :func:`~torsh_data.default_collate`, means the samples held torch tensors) is
handed out with every :class:`~torsh_data.Tensor` in it turned into a ``torch.Tensor``, so
``x.to(device)``, ``y.to(device)`` and ``torch.cat`` work on all of its fields; any other batch
keeps our Tensors. The decision is per batch and looks only at ``sys.modules``: nothing here
imports torch or numpy, so where torch is absent (the browser) batches stay ours at no cost.
A Tensor becomes a torch tensor over the same buffer (``torch.frombuffer``), not a copy.
``output="torch"``, ``"torsh"`` and ``"numpy"`` convert every tensor leaf to that kind.

>>> from torsh_data import Tensor
>>> to_output({"x": Tensor([1, 2]), "name": "a"}, "torsh")["x"].tolist()
[1, 2]
>>> check_output("jax")
Traceback (most recent call last):
...
torsh_data.DataValueError: output must be one of 'auto', 'torch', 'torsh', 'numpy'; got 'jax'
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

from .._errors import DataValueError
from .._interop import is_torch_tensor, loaded_torch, optional_import
from ..tensor import Tensor

__all__ = [
    "OUTPUTS",
    "check_output",
    "holds_torch",
    "like_mapping",
    "like_sequence",
    "map_leaves",
    "to_output",
]

OUTPUTS = ("auto", "torch", "torsh", "numpy")
_EXTRAS = {"torch": "torch", "numpy": "numpy"}


def check_output(output: Any, *, pin_memory: bool = False) -> str:
    """Validate an ``output=`` value; ``"torch"``/``"numpy"`` need that package installed."""
    if not isinstance(output, str) or output not in OUTPUTS:
        allowed = ", ".join(repr(o) for o in OUTPUTS)
        raise DataValueError(f"output must be one of {allowed}; got {output!r}")
    if pin_memory and output in ("torsh", "numpy"):
        raise DataValueError(
            f"pin_memory=True hands out torch tensors in pinned memory, so it cannot be "
            f"combined with output={output!r}; drop one of them"
        )
    if output in _EXTRAS:
        optional_import(output, _EXTRAS[output], f"DataLoader(output={output!r})")
    return output


def map_leaves(obj: Any, fn: Callable[[Any], Any]) -> Any:
    """``obj`` with ``fn`` applied to every value that is not a mapping, tuple or list.

    Containers are rebuilt around the converted items with their own type where it can hold
    them (:func:`like_mapping`, :func:`like_sequence`); strings stay whole.
    """
    if isinstance(obj, Mapping):
        return like_mapping(obj, {k: map_leaves(v, fn) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(map_leaves(v, fn) for v in obj))
    if isinstance(obj, (list, tuple)):
        return like_sequence(obj, [map_leaves(v, fn) for v in obj])
    return fn(obj)


def like_mapping(like: Mapping[Any, Any], items: dict[Any, Any]) -> Any:
    """``items`` in a mapping of ``like``'s type, as torch keeps it: a mutable mapping is
    copied and updated (so a ``defaultdict`` keeps its factory), another is rebuilt from
    ``items``; a plain dict when neither works."""
    try:
        if isinstance(like, MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        return type(like)(items)  # type: ignore[call-arg]
    except TypeError:
        return items


def like_sequence(like: Sequence[Any], items: list[Any]) -> Any:
    """``items`` in a sequence of ``like``'s type (see :func:`like_mapping`); a list when
    the type cannot hold them (``range``)."""
    try:
        if isinstance(like, MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)  # type: ignore[call-arg]
    except TypeError:
        return items


def holds_torch(obj: Any) -> bool:
    """True when a torch tensor is anywhere inside ``obj`` (False at once without torch)."""
    torch = loaded_torch()
    return torch is not None and _any_leaf(obj, torch.Tensor)


def _any_leaf(obj: Any, cls: type) -> bool:
    if isinstance(obj, cls):
        return True
    if isinstance(obj, Mapping):
        return any(_any_leaf(v, cls) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_any_leaf(v, cls) for v in obj)
    return False


def to_output(batch: Any, output: str) -> Any:
    """``batch`` with its tensors of the kind ``output`` asks for (see the NOTE above)."""
    if output == "auto":
        if not holds_torch(batch):
            return batch
        return map_leaves(batch, _torsh_to_torch)
    return map_leaves(batch, _CONVERTERS[output])


def _torsh_to_torch(x: Any) -> Any:
    return x.torch() if isinstance(x, Tensor) else x


def _any_to_torch(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.torch()
    np = sys.modules.get("numpy")
    if np is not None and isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        return sys.modules["torch"].as_tensor(x)  # shares the array's memory
    return x


def _any_to_torsh(x: Any) -> Any:
    np = sys.modules.get("numpy")
    if is_torch_tensor(x) or (
        np is not None and isinstance(x, np.ndarray) and x.dtype.kind in "biuf"
    ):
        return Tensor(x)
    return x


def _any_to_numpy(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.numpy()
    if is_torch_tensor(x):
        return Tensor(x).numpy()
    return x


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "torch": _any_to_torch,
    "torsh": _any_to_torsh,
    "numpy": _any_to_numpy,
}
