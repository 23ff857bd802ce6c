"""The JavaScript loader's labels (class names, the output dtype) and its synchronous
``next_batch_sync`` (what JS ``next_batch()`` calls): NOTE [ Labels for TensorFlow.js ]."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import run

from torsh_data import CannotBlockError, DataTypeError, DataValueError, FormatError
from torsh_data._jsapi import JsLoader, parse_options
from torsh_data._jsapi.labels import LabelCodec

SPECIES = ["virginica", "setosa", "versicolor"]  # first-seen order, not sorted
IRIS = "a,b,species\n" + "".join(f"{i},{i % 5},{SPECIES[i % 3]}\n" for i in range(20))


def load(
    data: str | bytes, batch_size: int = 4, name: str = "iris.csv", **options: Any
) -> JsLoader:
    loader = JsLoader(batch_size, json.dumps(options))
    run(loader.load_bytes(data.encode() if isinstance(data, str) else data, name=name))
    return loader


def sync_epoch(loader: JsLoader) -> list[dict[str, Any]]:
    out = []
    while (b := loader.next_batch_sync()) is not None:
        out.append(b)
    return out


def calls(loader: JsLoader, kinds: list[bool]) -> list[Any]:
    """The batches (plain lists, None at an epoch's end) of ``next_batch_sync`` (True) and
    ``await next_batch()`` (False) called in that order, in one event loop as in a page."""

    async def go() -> list[Any]:
        got = []
        for sync in kinds:
            b = loader.next_batch_sync() if sync else await loader.next_batch()
            got.append(None if b is None else plain([b])[0])
        return got

    return run(go())


def plain(batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v.tolist() for k, v in b.items()} for b in batches]


# ------------------------------------------------------------------ labels


def test_string_labels_are_sorted_class_indices_as_float32() -> None:
    loader = load(IRIS, label="species")
    assert json.loads(loader.info_json())["classes"] == sorted(SPECIES)
    ys = [y for b in sync_epoch(loader) for y in b["y"].tolist()]
    assert ys == [float(sorted(SPECIES).index(SPECIES[i % 3])) for i in range(20)]
    assert loader.schema()[1] == {"name": "y", "dtype": "float32", "shape": [], "kind": "scalar"}


def test_the_classes_option_fixes_the_order_and_rejects_others() -> None:
    loader = load(IRIS, label="species", classes=SPECIES, label_dtype="int32")
    b = loader.next_batch_sync()
    assert b is not None and b["y"].dtype.name == "int32"
    assert b["y"].tolist() == [0, 1, 2, 0]
    with pytest.raises(
        FormatError, match=r"record 1: the label 'setosa' of column 'species' is not one of"
    ):
        load(IRIS, label="species", classes=["virginica"])


def test_numeric_labels_have_no_classes_and_keep_their_values() -> None:
    loader = load("a,y\n1,3\n2,7\n", label="y")
    assert json.loads(loader.info_json())["classes"] is None
    assert plain(sync_epoch(loader)) == [{"x": [[1.0], [2.0]], "y": [3.0, 7.0]}]


@pytest.mark.parametrize(
    ("dtype", "ok", "bad"),
    [
        ("float32", 1 << 24, (1 << 24) + 1),
        ("int32", (1 << 31) - 1, 1 << 31),
        ("float32", -(1 << 24), -(1 << 24) - 1),
    ],
)
def test_a_label_the_dtype_cannot_hold_exactly_is_refused_at_load(
    dtype: str, ok: int, bad: int
) -> None:
    b = load(f"a,y\n1,{ok}\n", label="y", label_dtype=dtype).next_batch_sync()
    assert b is not None and b["y"].tolist() == [ok]
    with pytest.raises(
        DataValueError, match=rf"the label {bad} of column 'y' does not fit {dtype} exactly"
    ):
        load(f"a,y\n1,0\n2,{bad}\n", label="y", label_dtype=dtype)


@given(st.lists(st.integers(-(1 << 24), 1 << 24), min_size=1, max_size=20))
def test_float32_labels_are_the_integers_exactly(values: list[int]) -> None:
    text = "a,y\n" + "".join(f"0,{v}\n" for v in values)
    got = [y for b in sync_epoch(load(text, batch_size=7, label="y")) for y in b["y"].tolist()]
    assert got == [float(v) for v in values]


def test_a_streaming_source_needs_the_classes_of_string_labels() -> None:
    with pytest.raises(
        FormatError, match=r"is a class name, and this source streams.*classes option"
    ):
        load(IRIS, label="species", in_memory_bytes=8)
    loader = JsLoader(4, json.dumps({"label": "species", "inMemoryBytes": 8, "classes": SPECIES}))

    async def go() -> list[float]:  # one event loop: the load's open stream is read on
        await loader.load_bytes(IRIS.encode(), name="iris.csv")
        assert json.loads(loader.info_json())["streaming"] is True
        ys = []
        while (b := await loader.next_batch()) is not None:
            ys += b["y"].tolist()
        return ys

    assert run(go()) == [float(i % 3) for i in range(20)]


def test_label_options_are_checked() -> None:
    with pytest.raises(DataTypeError, match="option 'label_dtype' must be"):
        parse_options('{"labelDtype": "uint8"}')
    with pytest.raises(DataTypeError, match="option 'classes' must be a list of class names"):
        parse_options('{"classes": [1, 2]}')
    with pytest.raises(DataTypeError, match=r"option 'cast': unknown dtype 'int128'"):
        parse_options('{"cast": {"float32": "int128"}}')
    with pytest.raises(DataValueError, match="names a class twice"):
        LabelCodec("y", ["a", "a"], "float32")


# ------------------------------------------------------------------ next_batch_sync


def test_the_sync_epoch_is_the_async_epoch_and_the_next_call_starts_the_next() -> None:
    a, b = (load(IRIS, label="species", shuffle=True, seed=7) for _ in range(2))
    first = plain(sync_epoch(a))
    assert [*first, None] == calls(b, [False] * 6)
    assert (a.epoch, len(first)) == (1, 5)
    assert [*plain(sync_epoch(a)), None] == calls(b, [False] * 6) != [*first, None]  # reshuffled


@given(st.lists(st.booleans(), min_size=7, max_size=7))
def test_sync_and_async_calls_mixed_continue_one_epoch(kinds: list[bool]) -> None:
    """Any mix of next_batch_sync/next_batch gives the batches of one kind alone, across the
    end of an epoch (5 batches, then None, then the next epoch's)."""
    reference = load(IRIS, label="species", shuffle=True, seed=2)
    want = [*plain(sync_epoch(reference)), None, *plain(sync_epoch(reference))[:1]]
    assert calls(load(IRIS, label="species", shuffle=True, seed=2), kinds) == want


def test_sync_batches_are_refused_where_they_arrive_asynchronously() -> None:
    streaming = load(IRIS, label="species", in_memory_bytes=8, classes=SPECIES)
    with pytest.raises(
        CannotBlockError, match=r"this source streams: use 'await loader.nextBatch\(\)'"
    ):
        streaming.next_batch_sync()
    with pytest.raises(CannotBlockError, match="workers load it"):
        JsLoader(2, '{"workers": 2}').next_batch_sync()
    with pytest.raises(DataValueError, match="no data loaded"):
        JsLoader(2).next_batch_sync()


@pytest.mark.parametrize("value", [{"a": None}, ["int32"], 3, "int8"])
def test_a_label_dtype_that_is_no_name_is_refused_clearly(value: object) -> None:
    """Found by the fuzz suite: an object as labelDtype crashed the check (unhashable)."""
    from torsh_data import TorshDataError
    from torsh_data._jsapi import parse_options

    with pytest.raises(TorshDataError, match="option 'label_dtype' must be"):
        parse_options(json.dumps({"labelDtype": value}))
