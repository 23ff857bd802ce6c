"""Zero-copy interop with numpy and torch, and the error when they are missing."""

from __future__ import annotations

import importlib
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import tensors
from support import has_module, needs_numpy, needs_torch

import torsh_data as td
from torsh_data import Tensor


@needs_numpy
def test_numpy_asarray_shares_memory() -> None:
    import numpy as np

    buf = bytearray(np.arange(6, dtype=np.float32).tobytes())
    t = Tensor(buf, dtype="float32", shape=(2, 3))
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (2, 3)
    a[1, 2] = 42.0
    assert t.tolist()[1][2] == 42.0
    assert np.shares_memory(t.numpy(), a)
    assert np.asarray(t[1]).tolist() == [3.0, 4.0, 42.0]
    assert np.asarray(Tensor(7)).shape == ()
    assert np.asarray(td.zeros((0, 2))).shape == (0, 2)


@needs_numpy
@pytest.mark.parametrize(
    "name",
    [
        "bool",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "int8",
        "int16",
        "int32",
        "int64",
        "float16",
        "float32",
        "float64",
    ],
)
def test_numpy_round_trip_every_dtype(name: str) -> None:
    import numpy as np

    a = (np.arange(12) % 3).astype(name).reshape(3, 4)
    t = Tensor(a)
    assert t.dtype.name == name and t.shape == (3, 4)
    assert np.array_equal(np.asarray(t), a) and np.asarray(t).dtype == a.dtype
    assert t.tolist() == a.tolist()
    assert np.shares_memory(np.asarray(t), a)


@needs_numpy
def test_numpy_non_contiguous_and_foreign_byte_order() -> None:
    import numpy as np

    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert Tensor(a.T).tolist() == a.T.tolist()
    with pytest.raises(td.DataTypeError, match="byte order"):
        Tensor(np.arange(3, dtype=">i4"))
    with pytest.raises(td.DataTypeError, match="no torsh_data dtype"):
        Tensor(np.array([1 + 2j]))


@needs_torch
def test_torch_shares_memory_both_ways() -> None:
    import torch

    t = Tensor(bytearray(16), dtype="float32", shape=(2, 2))
    x = t.torch()
    assert x.dtype == torch.float32 and tuple(x.shape) == (2, 2)
    x[0, 1] = 5.0
    assert t.tolist() == [[0.0, 5.0], [0.0, 0.0]]
    y = torch.arange(6, dtype=torch.int64).reshape(3, 2)
    u = Tensor(y)
    assert u.dtype is td.int64 and u.tolist() == y.tolist()
    y[0, 0] = 9
    assert u.tolist()[0][0] == 9
    assert Tensor(torch.zeros(2, dtype=torch.bool)).dtype is td.bool_
    with pytest.raises(td.DataTypeError, match="bfloat16"):
        Tensor(torch.zeros(2, dtype=torch.bfloat16))
    assert td.zeros((0,)).torch().shape == (0,)


def _block(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    # Where the package is installed, make it unimportable; where it is not, it already is.
    if has_module(name):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize(("method", "package"), [("numpy", "numpy"), ("torch", "torch")])
def test_missing_extra_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch, method: str, package: str
) -> None:
    _block(monkeypatch, package)
    with pytest.raises(
        td.MissingExtraError, match=rf"pip install 'torsh-data\[{package}\]'"
    ) as info:
        getattr(Tensor([1]), method)()
    assert isinstance(info.value, ImportError)


@pytest.mark.native_only(reason="checks the error outside Pyodide; Pyodide has to_js")
def test_to_js_outside_pyodide_is_a_clear_error() -> None:
    with pytest.raises(td.TorshDataError, match="Pyodide"):
        Tensor([1]).to_js()


@pytest.mark.pyodide_only(reason="JavaScript typed arrays exist only in Pyodide")
@pytest.mark.parametrize(
    ("dtype", "array_name"),
    [
        ("float32", "Float32Array"),
        ("int64", "BigInt64Array"),
        ("uint64", "BigUint64Array"),
        ("uint8", "Uint8Array"),
        ("bool", "Uint8Array"),
        ("float64", "Float64Array"),
        ("int16", "Int16Array"),
        ("uint32", "Uint32Array"),
    ],
)
def test_to_js_gives_typed_arrays(dtype: str, array_name: str) -> None:
    import js

    t = td.arange(6).astype(dtype).reshape(2, 3)
    obj = t.to_js()
    assert obj.dtype == dtype
    assert list(obj.shape) == [2, 3]
    assert obj.data.constructor.name == array_name
    values = [int(v) for v in js.Array.from_(obj.data)]
    expected = [int(v) for v in t.reshape(-1).tolist()]
    assert values == expected


@pytest.mark.pyodide_only(reason="JavaScript typed arrays exist only in Pyodide")
def test_to_js_float16_and_empty() -> None:
    t = Tensor([0.5, -2.0], dtype="float16")
    obj = t.to_js()
    assert obj.dtype == "float16" and obj.data.length == 2
    assert obj.data.constructor.name == "Uint16Array"  # the raw half-precision bits
    assert list(obj.data) == [0x3800, 0xC000]
    empty = td.zeros((0, 4)).to_js()
    assert empty.data.length == 0 and list(empty.shape) == [0, 4]


@needs_numpy
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float32", "float64", "float16"])
def test_numpy_take_gives_the_pure_bytes(dtype: str) -> None:
    import numpy as np

    t = (
        (
            td.arange(300).astype("int64")
            if dtype != "uint8"
            else td.Tensor([i % 256 for i in range(300)])
        )
        .astype(dtype)
        .reshape(100, 3)
    )
    idx = [5, -1, 99, 0, 42] * 10
    fast = t.take(idx)
    saved = sys.modules.pop("numpy")
    try:
        slow = t.take(idx)
    finally:
        sys.modules["numpy"] = saved
    assert fast.equal(slow) and np.asarray(fast).shape == (50, 3)
    with pytest.raises(td.DataIndexError, match="index 100 is out of range"):
        t.take([0] * 40 + [100])


@needs_numpy
@pytest.mark.native_only(reason="compares numpy's gather with the pure one (no numpy there)")
@given(
    t=tensors(max_dims=3, max_side=5).filter(lambda t: t.ndim >= 1 and len(t) >= 1),
    data=st.data(),
)
def test_numpy_take_is_the_pure_take(t: Tensor, data: st.DataObject) -> None:
    """Any dtype and shape, negative indices, and the same error for one out of range."""
    n = len(t)
    idx = data.draw(st.lists(st.integers(-n, n - 1), min_size=32, max_size=70))
    if data.draw(st.booleans()):  # one index out of range, somewhere
        idx[data.draw(st.integers(0, len(idx) - 1))] = data.draw(
            st.integers(n, n + 3) | st.integers(-n - 3, -n - 1)
        )
    importlib.import_module("numpy")
    outcomes = []
    for hidden in (False, True):
        with pytest.MonkeyPatch.context() as mp:
            if hidden:
                mp.setitem(sys.modules, "numpy", None)
            try:
                got = t.take(idx)
                outcomes.append((got.dtype, got.shape, got.tobytes()))
            except td.DataIndexError as exc:
                outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]
