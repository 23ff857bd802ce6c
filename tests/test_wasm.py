"""The WebAssembly kernels (NOTE [ WebAssembly kernels ] in ``torsh_data/_wasm``): the shipped
modules are what their sources assemble to, load in Pyodide, and give exactly the bytes of
the pure-Python kernels they stand in for."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import _wasm
from torsh_data._runtime import IN_PYODIDE
from torsh_data._wasm import image
from torsh_data._wasm.image import lookup_float32
from torsh_data.transforms._pixels import translate_float32

ROOT = Path(__file__).resolve().parents[1]
WASM_ONLY = pytest.mark.pyodide_only(
    reason="compares a WebAssembly kernel with the pure-Python one; natively there is none"
)


@pytest.fixture(autouse=True)
def _kernels_for_small_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis's small inputs reach the kernels too."""
    monkeypatch.setattr(image, "MIN_BYTES", 0)


@pytest.mark.native_only(reason="runs wabt under Node.js in a subprocess; tools/ is not mounted")
def test_shipped_modules_are_what_their_sources_assemble_to() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed to assemble the .wat sources (./dev setup)"
    run = subprocess.run(
        [node, str(ROOT / "tools/wasm/build.mjs"), "--check"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    sources = sorted(p.stem for p in (ROOT / "src/torsh_data/_wasm").glob("*.wat"))
    shipped = sorted(p.stem for p in (ROOT / "src/torsh_data/_wasm").glob("*.wasm"))
    assert sources == shipped and sources


@pytest.mark.native_only(reason="natively no WebAssembly kernel is used; says why")
def test_natively_no_kernels_and_the_reason() -> None:
    assert _wasm.kernels("image") is None
    assert "only where Python runs on WebAssembly" in (_wasm.unavailable("image") or "")
    assert lookup_float32(b"x", (b"\0" * 256,) * 4, bytearray(4), 0) is False


@WASM_ONLY
def test_every_shipped_module_loads_in_pyodide() -> None:
    names = [p.name[: -len(".wasm")] for p in Path(_wasm.__file__).parent.glob("*.wasm")]
    assert names, "the wheel ships no .wasm"
    for name in names:
        assert _wasm.unavailable(name) is None
        assert _wasm.kernels(name) is not None


def test_disabled_turns_kernels_off_and_nests() -> None:
    with _wasm.disabled():
        with _wasm.disabled():
            assert _wasm.kernels("image") is None
        assert _wasm.kernels("image") is None
        assert _wasm.unavailable("image") == "turned off by disabled()"
    assert (_wasm.kernels("image") is not None) is IN_PYODIDE


@WASM_ONLY
@given(
    src=st.binary(max_size=300),
    tables=st.lists(st.binary(min_size=256, max_size=256), min_size=4, max_size=4),
    start=st.integers(0, 9),
)
def test_lookup_float32_is_the_translate_tables(
    src: bytes, tables: list[bytes], start: int
) -> None:
    fast = bytearray(b"\xaa" * (4 * len(src) + start + 3))
    pure = bytearray(fast)
    translate_float32(src, tuple(tables), fast, start)
    with _wasm.disabled():
        translate_float32(src, tuple(tables), pure, start)
    assert fast == pure


@WASM_ONLY
def test_layout_grows_memory_for_large_buffers() -> None:
    src = bytes(range(256)) * 1100  # 281,600 bytes in, 4x out: several 64 KiB pages
    tables = tuple(bytes((v * 7 + k) % 256 for v in range(256)) for k in range(4))
    fast, pure = bytearray(4 * len(src)), bytearray(4 * len(src))
    assert lookup_float32(src, tables, fast, 0)
    with _wasm.disabled():
        translate_float32(src, tables, pure, 0)
    assert fast == pure


@WASM_ONLY
def test_addresses_locate_buffers_in_place() -> None:
    data, out = b"\x01\x02\x03", bytearray(12)
    table = tuple(bytes(range(256)) for _ in range(4))
    assert lookup_float32(data, table, out, 0)
    assert out == bytes([1] * 4 + [2] * 4 + [3] * 4)
    assert lookup_float32(bytearray(b"\x05"), table, memoryview(out)[4:], 0)
    assert out[4:8] == b"\x05" * 4
    assert _wasm.addresses(b"", bytearray()) == [0, 0]
    with pytest.raises(TypeError, match="read-only"):
        _wasm.addresses(memoryview(b"abc")[1:])


def test_lookup_float32_checks_sizes_before_writing() -> None:
    tables = (bytes(256),) * 4
    if IN_PYODIDE:
        with pytest.raises(ValueError, match="4 tables of 256"):
            lookup_float32(b"ab", tables, bytearray(7), 0)
        with pytest.raises(ValueError, match="4 tables of 256"):
            lookup_float32(b"ab", (bytes(255),) * 4, bytearray(8), 0)
    else:
        assert lookup_float32(b"ab", tables, bytearray(7), 0) is False


def test_module_bytes_are_a_wasm_binary() -> None:
    data = (Path(_wasm.__file__).parent / "image.wasm").read_bytes()
    assert data[:8] == b"\0asm\x01\0\0\0", data[:8]
