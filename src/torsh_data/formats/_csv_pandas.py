"""The pandas fast path of ``read_csv(..., output="columnar")``.

NOTE [ CSV engines ]: pandas (or pyarrow through pandas) parses numbers in C, several times
faster than the standard library's ``csv`` plus ``float()``. It is used only where it gives
the same tensors, bit for bit, as the pure path: every float parsed with correct rounding
(pandas 3's default, ``float_precision="round_trip"`` before; as Python's ``float()``),
then rounded once to float32;
only clean numeric data with the default options. Anything else (missing values, text, odd
options, a parse error) goes to the pure path, which also writes the precise error.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import sys
from collections.abc import Sequence
from typing import Any

from ..tensor import Tensor

__all__ = ["MIN_BYTES", "pandas_columnar"]

#: Below this size the standard library parses faster than pandas imports.
MIN_BYTES = 1 << 20


def pandas_columnar(
    data: bytes, header: Any, delimiter: str, columns: Sequence[Any] | None, label: Any
) -> Any:
    """``(features, labels)`` (or features) via pandas, or ``None`` when the pure path must run."""
    if len(data) < MIN_BYTES or not isinstance(header, bool):
        return None
    if "pandas" not in sys.modules and importlib.util.find_spec("pandas") is None:
        return None
    try:
        np: Any = importlib.import_module("numpy")
        pd: Any = importlib.import_module("pandas")
    except ImportError:  # installed but unusable here (or numpy hidden): the pure path runs
        return None

    # pandas 3 parses with correct rounding by default and deprecates the option
    precise = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            header=0 if header else None,
            skip_blank_lines=True,
            encoding="utf-8",
            **precise,
        )
    except Exception:
        return None
    if not header:
        frame.columns = list(range(frame.shape[1]))
    if frame.columns.duplicated().any() or frame.isna().to_numpy().any():
        return None
    names = list(frame.columns)

    def pick(column: Any) -> Any:
        if isinstance(column, int) and header:
            return names[column] if 0 <= column < len(names) else None
        return column if column in names else None

    keep = names if columns is None else [pick(c) for c in columns]
    lab = None if label is None else pick(label)
    if None in keep or (label is not None and lab is None):
        return None
    features = [c for c in keep if c != lab]
    block = frame[features]
    if not all(dt.kind in "iuf" for dt in block.dtypes):
        return None
    with np.errstate(over="ignore"):  # beyond float32 becomes inf, as array("f") does
        x = np.ascontiguousarray(block.to_numpy(dtype=np.float64).astype(np.float32))
    if lab is None:
        return Tensor(x)
    y = frame[lab].to_numpy()
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.floor(y)):
            return None
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iu":
        return None
    return Tensor(x), Tensor(np.ascontiguousarray(y.astype(np.int64)))
