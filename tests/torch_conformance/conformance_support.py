"""What the conformance test modules share: skip reasons, the source they follow, and a way
to compare batches of either backend."""

from __future__ import annotations

from typing import Any

import pytest

TORCH_TESTS = "pytorch/pytorch@74436f902560:test/test_dataloader.py"
EXAMPLES = "pytorch/examples"
TORCH_REASON = (
    "the conformance suite runs each test against torch.utils.data as its control; torch "
    "is not installed for this Python (the local CPU wheel is for 3.11, none in Pyodide)"
)
native = pytest.mark.native_only(reason="compares with torch, which does not exist in Pyodide")

BY_DESIGN_B = (
    "deviation by design (docs/TORCH_COMPAT.md, Batch types): numbers and numpy arrays "
    "give torsh_data.Tensor unless output='torch'"
)


def values(x: Any) -> Any:
    """A batch as plain Python values (tensors of either kind through ``tolist``)."""
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, dict):
        return {k: values(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [values(v) for v in x]
    return x
