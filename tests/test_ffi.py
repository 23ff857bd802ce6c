"""``torsh_data._ffi``: the JavaScript <-> Python conversions, and their native behaviour."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import run

from torsh_data import TorshDataError
from torsh_data import _ffi as ffi

PYODIDE = pytest.mark.pyodide_only(reason="JavaScript objects exist only in Pyodide")
NATIVE = pytest.mark.native_only(reason="checks the behaviour without JavaScript")


@NATIVE
def test_natively_nothing_is_javascript_and_conversions_say_why() -> None:
    assert not ffi.is_js(b"x") and not ffi.is_js(object())
    assert ffi.is_null(None) and not ffi.is_null(0) and not ffi.is_null(b"")
    assert ffi.page_url() is None
    for call in (
        lambda: ffi.to_uint8array(b"x"),
        lambda: ffi.js_object(a=1),
        lambda: ffi.js_array([1]),
        lambda: ffi.to_js({"a": 1}),
        lambda: ffi.create_proxy(print),
        ffi.js_exception,
    ):
        with pytest.raises(TorshDataError, match="Pyodide runtime"):
            call()


@PYODIDE
@given(data=st.binary(max_size=300))
def test_bytes_round_trip_through_a_uint8array(data: bytes) -> None:
    array = ffi.to_uint8array(data)
    assert ffi.is_js(array) and int(array.length) == len(data)
    assert ffi.to_bytes(array) == data
    assert ffi.to_bytes(array.buffer) == data  # an ArrayBuffer too
    assert ffi.to_bytes(ffi.to_uint8array(memoryview(data))) == data


@PYODIDE
def test_dicts_become_plain_objects_deeply() -> None:
    import js  # type: ignore[import-not-found]

    obj = ffi.js_object(name="AES-GCM", nested={"a": [1, 2]}, n=3)
    assert str(js.Object.prototype.toString.call(obj)) == "[object Object]"  # not a Map
    assert obj.name == "AES-GCM" and obj.n == 3 and obj.nested.a[1] == 2
    arr = ffi.js_array(["encrypt", "decrypt"])
    assert bool(js.Array.isArray(arr)) and list(arr) == ["encrypt", "decrypt"]


@PYODIDE
@pytest.mark.needs_jspi(reason="awaits a rejected JavaScript promise in a synchronous test")
def test_null_exception_and_proxy() -> None:
    import js
    from pyodide.ffi import jsnull  # type: ignore[import-not-found]

    assert ffi.is_null(jsnull) and ffi.is_null(None) and not ffi.is_null(js.Object.new())

    async def rejected() -> None:
        await js.Promise.reject(js.Error.new("no"))

    with pytest.raises(ffi.js_exception(), match="no"):
        run(rejected())
    seen: list[int] = []
    proxy = ffi.create_proxy(seen.append)
    js.Reflect.apply(proxy, None, ffi.js_array([7]))
    proxy.destroy()
    assert seen == [7]
