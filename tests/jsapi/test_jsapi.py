"""The Python half of the JavaScript package: format choice, options, datasets, batches."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
import math
import re
import statistics
import struct
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import JSPI_REASON, digest, run

from torsh_data import (
    CannotBlockError,
    DataTypeError,
    DataValueError,
    FormatError,
    Tensor,
    TorshDataError,
    capabilities,
)
from torsh_data._jsapi import FORMATS, JsLoader, apply_transforms, guess_format, parse_options
from torsh_data.formats import write_npy


def epoch(loader: JsLoader) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        out = []
        while (batch := await loader.next_batch()) is not None:
            out.append(batch)
        return out

    return run(go())


def load(data: bytes, name: str, batch_size: int = 2, **options: Any) -> JsLoader:
    loader = JsLoader(batch_size, json.dumps(options))
    run(loader.load_bytes(data, name=name))
    return loader


CSV = b"f1,f2,label\n1.5,2,0\n3,4.25,1\n5,6,2\n7,8,1\n9,10,0\n"


def reference_rows() -> list[tuple[list[float], int]]:  # the stdlib csv module, independently
    rows = list(csv.reader(io.StringIO(CSV.decode())))[1:]
    return [([float(a), float(b)], int(y)) for a, b, y in rows]


# ------------------------------------------------------------------ formats


@pytest.mark.parametrize(
    ("kwargs", "fmt"),
    [
        ({"name": "a/b.csv"}, "csv"),
        ({"name": "b.csv.gz"}, "csv"),
        ({"name": "https://x/y.jsonl?sig=1"}, "jsonl"),
        ({"name": "d.ndjson"}, "jsonl"),
        ({"name": "d.json"}, "json"),
        ({"name": "m.shards.json"}, "shards"),
        ({"name": "a.npy"}, "npy"),
        ({"name": "a.NPZ"}, "npz"),
        ({"name": "train-images-idx3-ubyte.gz"}, "idx"),
        ({"name": "s-000.tar.gz"}, "tar"),
        ({"name": "s.tgz"}, "tar"),
        ({"name": "notes.txt"}, "text"),
        ({"name": "noext", "content_type": "text/csv; charset=utf-8"}, "csv"),
        ({"content_type": "application/x-ndjson"}, "jsonl"),
        ({"name": "x.csv", "content_type": "application/json"}, "csv"),
    ],
)
def test_guess_format(kwargs: dict[str, str], fmt: str) -> None:
    assert guess_format(**kwargs) == fmt
    assert fmt in FORMATS


def test_guess_format_refuses() -> None:
    with pytest.raises(DataValueError, match="pass the format option"):
        guess_format(name="blob.bin", content_type="application/octet-stream")
    with pytest.raises(DataValueError, match="unknown format 'xml'"):
        guess_format("xml")


def test_options_accept_camel_case_and_refuse_unknown() -> None:
    assert parse_options('{"dropLast": true, "labelColumn": "y", "seed": null}') == {
        "drop_last": True,
        "label": "y",
    }
    with pytest.raises(DataValueError, match="unknown option 'shufle'"):
        parse_options({"shufle": True})
    with pytest.raises(DataValueError, match="batch_size"):
        JsLoader(0)
    with pytest.raises(DataTypeError):
        JsLoader(2, {"shuffle": "yes"})


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ('z"label": "y"}', DataValueError),  # not JSON: was a bare JSONDecodeError
        ("[1, 2]", DataTypeError),  # not an object: was AttributeError
        pytest.param(
            "[" * 100_000,
            DataValueError,  # was RecursionError
            marks=pytest.mark.native_only(
                reason="json.loads of a 100,000-deep document overflows the WebAssembly stack "
                "(issue 17 cause 4: a depth check before json.loads, fixed separately)"
            ),
        ),
        ('{"label": {"a": 1}}', DataTypeError),  # was TypeError (unhashable) while batching
        ('{"chunkSize": "big"}', DataTypeError),  # was a plain ValueError from int()
        ('{"chunkSize": 0}', DataValueError),
        ('{"workers": [1]}', DataTypeError),
        ('{"columns": "ab"}', DataTypeError),
        ('{"header": [1]}', DataTypeError),
        ('{"cast": {"int64": 3}}', DataTypeError),
        ('{"endOfEpoch": "stop"}', DataTypeError),
        ('{"inMemoryBytes": -1}', DataValueError),
    ],
)
def test_malformed_options_raise_our_errors(options: str, error: type) -> None:
    """Options that the fuzz suite (tests/fuzz) found crashing with builtin errors."""
    with pytest.raises(error, match=r"option|JSON|object") as info:
        JsLoader(2, options)
    assert isinstance(info.value, TorshDataError)


# ------------------------------------------------------------------ batches


def test_csv_batches_match_the_csv_module() -> None:
    loader = load(CSV, "t.csv", label="label")
    batches = epoch(loader)
    assert len(loader) == len(batches) == 3
    assert [b["x"].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    assert [b["x"].dtype.name for b in batches] == ["float32"] * 3
    got = [(x, y) for b in batches for x, y in zip(b["x"].tolist(), b["y"].tolist(), strict=True)]
    assert got == reference_rows()
    assert loader.progress == 1.0 and loader.format == "csv"
    assert loader.schema() == [
        {"name": "x", "dtype": "float32", "shape": [2], "kind": "tensor"},
        {"name": "y", "dtype": "float32", "shape": [], "kind": "scalar"},
    ]


def test_shuffle_is_a_seeded_permutation_per_epoch() -> None:
    def order(seed: int, epochs: int = 2) -> list[list[int]]:
        loader = load(CSV, "t.csv", batch_size=5, label="label", shuffle=True, seed=seed)
        out = []
        for _ in range(epochs):
            (batch,) = epoch(loader)
            out.append([int(x[0]) for x in batch["x"].tolist()])
        return out

    first = order(7)
    assert first == order(7)
    assert all(sorted(e) == [1, 3, 5, 7, 9] for e in first)
    assert len({tuple(e) for s in range(6) for e in order(s)}) > 1


def test_reset_starts_the_next_epoch_and_drop_last() -> None:
    loader = load(CSV, "t.csv", label="label", dropLast=True)
    assert len(loader) == 2
    assert run(loader.next_batch()) is not None
    loader.reset()
    assert loader.epoch == 1
    assert len(epoch(loader)) == 2


def test_columns_names_and_cast() -> None:
    loader = load(CSV, "t.csv", columns=["f2"], label="label", names=["a", "b"])
    b = run(loader.next_batch())
    assert b["a"].tolist() == [[2.0], [4.25]]
    loader = load(CSV, "t.csv", label="label", label_dtype="int32")
    assert run(loader.next_batch())["y"].dtype.name == "int32"
    # cast is of the other fields; the label's dtype is labelDtype's (float32 by default)
    b = run(load(CSV, "t.csv", label="label", cast={"float32": "float64"}).next_batch())
    assert (b["x"].dtype.name, b["y"].dtype.name) == ("float64", "float32")


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def test_transforms_by_name_fitted_on_the_data() -> None:
    loader = load(CSV, "t.csv", label="label", transforms=[{"name": "standardize", "column": "x"}])
    xs = [x for b in epoch(loader) for x in b["x"].tolist()]
    cols = list(zip(*(x for x, _ in reference_rows()), strict=True))
    mean = [statistics.fmean(c) for c in cols]
    std = [statistics.pstdev(c) for c in cols]  # the population std, as documented
    expected = [[f32((v - m) / s) for v, m, s in zip(x, mean, std, strict=True)]
                for x, _ in reference_rows()]  # fmt: skip
    assert [v for x in xs for v in x] == pytest.approx([v for x in expected for v in x], rel=1e-6)


def test_image_transforms_on_a_column() -> None:
    idx = struct.pack(">BBBBIII", 0, 0, 8, 3, 2, 2, 2) + bytes(range(0, 240, 30))
    loader = load(
        idx, "i-idx3-ubyte", transforms=["ToTensor", {"name": "Normalize", "args": [0.5, 0.25]}]
    )
    b = run(loader.next_batch())
    assert b["x"].shape == (2, 1, 2, 2)
    expected = [f32((f32(v / 255) - 0.5) / 0.25) for v in range(0, 240, 30)]
    assert [v for img in b["x"].tolist() for v in img[0][0] + img[0][1]] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        (436987520672688, DataTypeError),  # was TypeError: 'int' object is not iterable
        ({"column": "x"}, DataTypeError),  # no name
        ({"name": "Normalize", "args": 5}, DataTypeError),  # was TypeError from *args
        ({"name": "Normalize", "bogus": 1}, DataTypeError),  # was TypeError: unexpected keyword
        ({"name": "Standardize", "column": "nope"}, DataValueError),  # was ValueError: .index
    ],
)
def test_malformed_transforms_raise_our_errors(spec: Any, error: type) -> None:
    """Transform specs that the fuzz suite (tests/fuzz) found crashing with builtin errors."""
    with pytest.raises(error, match="transform") as info:
        load(CSV, "t.csv", label="label", transforms=[spec])
    assert isinstance(info.value, TorshDataError)


def test_unknown_transform() -> None:
    with pytest.raises(DataValueError, match="unknown transform 'sharpen'"):
        load(CSV, "t.csv", transforms=[{"name": "Sharpen"}])


def test_jsonl_records_and_strings() -> None:
    data = (
        b'{"id": 1, "t": "a b", "z": 0}\n{"id": 2, "t": "c", "z": 1}\n{"id": 3, "t": "d", "z": 2}\n'
    )
    loader = load(data, "r.jsonl", columns=["id", "t"])
    first = run(loader.next_batch())
    assert first["id"].tolist() == [1, 2] and first["t"] == ["a b", "c"]
    kinds = {f["name"]: f["kind"] for f in loader.schema()}
    assert kinds == {"id": "scalar", "t": "text"}
    with pytest.raises(DataValueError, match="has no"):
        load(data, "r.jsonl", columns=["missing"])
    with pytest.raises(DataValueError, match="not an object"):
        load(b"1\n2\n", "r.jsonl", columns=["a"])


def test_json_array() -> None:
    loader = load(b'[{"v": 1.5}, {"v": 2.5}]', "r.json")
    assert run(loader.next_batch())["v"].tolist() == [1.5, 2.5]


def test_text_with_tokens() -> None:
    loader = load(b"The cat sat.\n\nA dog ran!\n", "s.txt", tokenize=True)
    b = run(loader.next_batch())
    assert b["text"] == ["The cat sat.", "A dog ran!"]
    assert b["tokens"] == [["the", "cat", "sat", "."], ["a", "dog", "ran", "!"]]


def npy_bytes(t: Tensor) -> bytes:
    f = io.BytesIO()
    write_npy(f, t)
    return f.getvalue()


def test_npy_idx_npz() -> None:
    t = Tensor(list(range(12)), dtype="uint8").reshape(3, 2, 2)
    b = run(load(npy_bytes(t), "a.npy").next_batch())
    assert b["x"].shape == (2, 2, 2) and b["x"].tolist() == t.tolist()[:2]
    # IDX written by hand from the format's definition (magic 0 0 0x08 ndim, big-endian dims)
    idx = struct.pack(">BBBBIII", 0, 0, 8, 3, 3, 2, 2) + bytes(range(12))
    loader = load(gzip.compress(idx), "imgs-idx3-ubyte.gz")
    assert loader.schema()[0]["kind"] == "image"
    assert run(loader.next_batch())["x"].tolist() == t.tolist()[:2]
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("images.npy", npy_bytes(t))
        z.writestr("labels.npy", npy_bytes(Tensor([0, 1, 2], dtype="int64")))
    b = run(load(buf.getvalue(), "d.npz", batch_size=3).next_batch())
    assert sorted(b) == ["images", "labels"] and b["labels"].tolist() == [0, 1, 2]


def test_tar_samples() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for i in range(3):
            for ext, body in (("cls", str(i).encode()), ("txt", f"s{i}".encode())):
                info = tarfile.TarInfo(f"{i:03d}.{ext}")
                info.size = len(body)
                tf.addfile(info, io.BytesIO(body))
    b = run(load(buf.getvalue(), "s-000.tar", batch_size=3, columns=["cls", "txt"]).next_batch())
    assert b["cls"].tolist() == [0, 1, 2] and b["txt"] == ["s0", "s1", "s2"]


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"a,b\n1\n", "t.csv"),  # a short row
        (b'a,b\n"1,2\n', "t.csv"),  # an unterminated quote
        (b"\x93NUMPY\x01\x00", "a.npy"),  # a truncated header
        (
            b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }"
            + b" " * 50
            + b"\n"
            + b"\0" * 8,
            "a.npy",
        ),  # fewer bytes than claimed
        (struct.pack(">BBBBI", 0, 0, 8, 1, 1 << 30), "x-idx1-ubyte"),  # a hostile size
        (b'{"a": 1}\n{"a": \n', "r.jsonl"),
        (b"[" * 5000 + b"]" * 5000, "r.json"),  # too deep
        (b"not a tar" * 100, "s.tar"),
        (gzip.compress(b"a,b\n1,2\n")[:-6], "t.csv.gz"),  # a truncated gzip
    ],
)
def test_malformed_input_raises_format_error(data: bytes, name: str) -> None:
    with pytest.raises(FormatError):
        load(data, name)


def test_empty_and_unloaded() -> None:
    loader = load(b"a,b\n", "t.csv")
    assert len(loader) == 0 and epoch(loader) == [] and loader.schema() == []
    with pytest.raises(DataValueError, match="no data loaded"):
        run(JsLoader(2).next_batch())
    with pytest.raises(DataValueError, match="0-d"):
        load(npy_bytes(Tensor(3.0)), "a.npy")


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), seed=st.integers(0, 2**32))
def test_every_row_once_per_epoch(n: int, batch_size: int, seed: int) -> None:
    data = ("v\n" + "".join(f"{i}\n" for i in range(n))).encode()
    loader = load(data, "t.csv", batch_size=batch_size, shuffle=True, seed=seed)
    batches = epoch(loader)
    assert len(batches) == len(loader) == math.ceil(n / batch_size)
    assert sorted(v for b in batches for (v,) in b["x"].tolist()) == list(range(n))


# ------------------------------------------------------------------ probe and timings


def test_capabilities_keys() -> None:
    caps = capabilities()
    assert list(caps) == [
        "runtime", "workers", "indexeddb", "streams", "shared_array_buffer",
        "cross_origin_isolated", "jspi", "hardware_concurrency",
    ]  # fmt: skip
    assert caps["hardware_concurrency"] >= 1
    if caps["runtime"] == "cpython":
        assert not caps["indexeddb"] and caps["workers"]


def test_timings_per_batch() -> None:
    loader = load(CSV, "t.csv", label="label")
    epoch(loader)
    summary = loader.monitor.summary()
    assert summary["batch"]["count"] == 3 and summary["parse"]["count"] == 1
    assert summary["batch"]["min_ms"] <= summary["batch"]["mean_ms"] <= summary["batch"]["max_ms"]
    assert json.loads(loader.info_json())["len"] == 3


@pytest.mark.native_only(reason="worker processes")
def test_workers_give_the_batches_of_no_workers() -> None:
    idx = struct.pack(">BBBBIII", 0, 0, 8, 3, 12, 4, 4) + bytes(range(192))
    opts: dict[str, Any] = {"shuffle": True, "seed": 4, "transforms": [
        {"name": "RandomHorizontalFlip", "args": [0.5]}, "ToTensor"]}  # fmt: skip
    serial = epoch(load(idx, "i-idx3-ubyte", batch_size=5, **opts))
    parallel = epoch(load(idx, "i-idx3-ubyte", batch_size=5, workers=2, **opts))
    assert [b["x"].shape for b in serial] == [(5, 1, 4, 4), (5, 1, 4, 4), (2, 1, 4, 4)]
    assert digest(parallel) == digest(serial)


def test_whole_column_transforms_equal_per_row() -> None:
    from torsh_data.formats import RecordDataset, csv_dataset

    ds = csv_dataset(CSV, label="label")
    rows = RecordDataset([ds[i] for i in range(len(ds))])  # not a TensorDataset: per row
    specs = [{"name": "Standardize", "column": "x"}, {"name": "MinMaxScale", "column": "x"}]
    whole = apply_transforms(json.loads(json.dumps(specs)), ["x", "y"], ds)
    per_row = apply_transforms(json.loads(json.dumps(specs)), ["x", "y"], rows)
    assert type(whole).__name__ == "TensorDataset" and type(per_row).__name__ == "_Mapped"
    assert digest([whole[i] for i in range(5)]) == digest([per_row[i] for i in range(5)])


def test_options_json_is_bounded_and_must_be_an_object() -> None:
    # issue 17 cause 4: options come from JavaScript callers; a deep document is refused
    # before parsing (it would overflow the WebAssembly stack)
    with pytest.raises(FormatError, match="options: JSON nested deeper than 500"):
        parse_options("[" * 100_000)
    with pytest.raises(FormatError, match="options: not valid JSON at line 1, column 2"):
        parse_options("{")
    with pytest.raises(DataTypeError, match="options must be a JSON object, not list"):
        parse_options("[1]")


# ------------------------------------------------- the pipeline a Python user writes


def p2_specs(crop: int, padding: int) -> list[Any]:
    """P2's transforms (bench/bench_pipelines.py) as the ``transforms`` option."""
    return [
        {"name": "RandomCrop", "args": [crop], "padding": padding},
        {"name": "RandomHorizontalFlip", "args": [0.5]},
        "ToTensor",
        {"name": "Normalize", "args": [0.1307, 0.3081]},
    ]


def p2_compose(crop: int, padding: int) -> Any:
    from torsh_data import transforms as T

    return T.Compose([
        T.RandomCrop(crop, padding=padding), T.RandomHorizontalFlip(0.5), T.ToTensor(),
        T.Normalize((0.1307,), (0.3081,)),
    ])  # fmt: skip


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 11),
    side=st.integers(3, 7),
    padding=st.integers(0, 2),
    batch_size=st.integers(1, 4),
    seed=st.integers(0, 2**31),
    pixels=st.randoms(use_true_random=False),
)
def test_p2_through_the_facade_is_the_python_dataloader(
    n: int, side: int, padding: int, batch_size: int, seed: int, pixels: Any
) -> None:
    """The facade's batches for P2's options are byte for byte those of
    ``DataLoader(TransformDataset(images, Compose(...)))`` with the same seed, over two epochs
    (IDX images alone), and with a label column beside them (NPZ: the transforms on one field)."""
    import zipfile

    from torsh_data import DataLoader, TensorDataset, TransformDataset
    from torsh_data.formats import read_idx

    crop = max(1, side - 1)
    raw = pixels.randbytes(n * side * side)
    idx = struct.pack(">BBBBIII", 0, 0, 8, 3, n, side, side) + raw
    opts = {"shuffle": True, "seed": seed, "transforms": p2_specs(crop, padding)}
    facade = load(idx, "p-idx3-ubyte", batch_size=batch_size, **opts)
    images = read_idx(idx)
    python = DataLoader(
        TransformDataset(images, p2_compose(crop, padding)),
        batch_size=batch_size, shuffle=True, seed=seed,
    )  # fmt: skip
    for e in range(2):
        python.set_epoch(e)
        got = [b["x"] for b in epoch(facade)]
        assert got[0].dtype.name == "float32" and got[0].shape[1:] == (1, crop, crop)
        assert digest(got) == digest(list(python))

    labels = Tensor(list(range(n)), dtype="int64")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("x.npy", npy_bytes(images))
        z.writestr("y.npy", npy_bytes(labels))
    specs = [{**s, "column": "x"} if isinstance(s, dict) else {"name": s, "column": "x"}
             for s in p2_specs(crop, padding)]  # fmt: skip
    facade = load(buf.getvalue(), "d.npz", batch_size, shuffle=True, seed=seed, transforms=specs)
    python = DataLoader(
        TransformDataset(TensorDataset(images, labels), p2_compose(crop, padding)),
        batch_size=batch_size, shuffle=True, seed=seed,
    )  # fmt: skip
    assert digest([[b["x"], b["y"]] for b in epoch(facade)]) == digest(list(python))


def test_the_facade_builds_transform_dataset_with_compose() -> None:
    """NOTE [ Facade pipeline ]: runs of transforms on one field become one ``Compose`` in a
    ``TransformDataset`` (so ``ToTensor`` + ``Normalize`` fuse); other shapes keep the
    per-sample runner, with the same draws in the same order."""
    from torsh_data import TensorDataset, TransformDataset
    from torsh_data import transforms as T

    images = Tensor(list(range(48)), dtype="uint8").reshape(3, 4, 4)
    ds = apply_transforms(p2_specs(3, 1), ["x"], TensorDataset(images))
    assert type(ds) is TransformDataset and ds.dataset is images
    assert type(ds.transform) is T.Compose and len(ds.transform.transforms) == 4
    pair = TensorDataset(images, Tensor([0, 1, 2]))
    flip = {"name": "RandomHorizontalFlip", "args": [0.5]}
    ds = apply_transforms(
        [flip, {**flip, "column": "x"}, {**flip, "column": "y"}], ["x", "y"], pair
    )
    assert type(ds) is TransformDataset and len(ds.transform.transforms) == 2
    assert ds.target_transform is not None
    # y before x: TransformDataset would draw x's first, so the per-sample runner stays
    ds = apply_transforms([{**flip, "column": "y"}, {**flip, "column": "x"}], ["x", "y"], pair)
    assert type(ds).__name__ == "_Mapped"


def test_synchronous_batches_are_the_awaited_ones() -> None:
    """NOTE [ Synchronous batches ]: an in-memory loader without workers makes its batches
    without awaiting (what JavaScript's nextBatch() calls): the async iterator's batches."""
    opts = {"shuffle": True, "seed": 3, "label": "label"}
    awaited, now = load(CSV, "t.csv", **opts), load(CSV, "t.csv", **opts)
    assert now.synchronous and not load(CSV, "t.csv", workers=1).synchronous
    awaited.synchronous = False  # the loader's async iterator, as for a streaming source
    for _ in range(2):
        sync = []
        while (b := now.next_batch_sync()) is not None:
            sync.append(b)
        assert digest(sync) == digest(epoch(awaited)) and len(sync) == 3
    assert now.epoch == awaited.epoch == 2
    assert now.next_batch_sync() is not None and run(awaited.next_batch()) is not None
    now.reset()
    awaited.reset()
    assert digest(now.next_batch_sync()) == digest(run(awaited.next_batch()))
    with pytest.raises(DataValueError, match="no data loaded"):
        JsLoader(2).next_batch_sync()
    with pytest.raises(CannotBlockError, match=r"workers load it.*await loader\.nextBatch"):
        load(CSV, "t.csv", workers=1).next_batch_sync()


# ------------------------------------------------ format from the response


@pytest.fixture(scope="module")
def io_server() -> Iterator[tuple[str, Any]]:
    """tests/io/server.py (its ``/csv/<id>`` route and request log), on a free port."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "io" / "server.py"
    spec = importlib.util.spec_from_file_location("jsapi_io_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server, url = module.start()
    try:
        yield url, module
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.native_only(
    reason="starts an HTTP server thread; Node.js and Chromium: tests/runtimes/js.test.mjs"
)
def test_an_extensionless_url_takes_its_format_from_its_own_response(
    io_server: tuple[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # NOTE [ Format from the response ]: one GET (no HEAD first); the cache keeps the type
    base, server = io_server
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    ident = f"j{time.monotonic_ns()}"

    def requests(ident: str) -> list[str]:
        with urllib.request.urlopen(f"{base}/log/csv/{ident}", timeout=10) as r:
            return [e["method"] for e in json.loads(r.read())]

    expected = epoch(load(server.CSV, "t.csv", label="label"))
    for from_cache in (False, True):
        loader = JsLoader(2, json.dumps({"label": "label", "cache": "typed"}))
        assert run(loader.load_url(f"{base}/csv/{ident}")) == 5
        assert (loader.format, loader.from_cache) == ("csv", from_cache)
        assert [{k: v.tolist() for k, v in b.items()} for b in epoch(loader)] == [
            {k: v.tolist() for k, v in b.items()} for b in expected
        ]
        assert requests(ident) == ["GET"]
    # a type that does not tell: the clear error, after that one GET
    url = f"{base}/csv/{ident}o?type=application/octet-stream"
    with pytest.raises(DataValueError) as info:
        run(JsLoader(2).load_url(url))
    message = str(info.value)
    assert url in message and "'application/octet-stream'" in message
    assert "pass the format option" in message
    assert requests(f"{ident}o") == ["GET"]
    # the format option, the contentType argument: no look at the response needed
    for loader, ctype in ((JsLoader(2, '{"format": "csv"}'), None), (JsLoader(2), "text/csv")):
        assert run(loader.load_url(url, ctype)) == 5 and loader.format == "csv"


# ------------------------------------------------ warm load (NOTE [ Warm load ])


@pytest.mark.native_only(
    reason="starts an HTTP server thread; Node.js and Chromium: tests/runtimes/js.test.mjs"
)
@pytest.mark.parametrize("shuffle", [False, True])
def test_a_warm_load_beside_a_url_load_changes_nothing(
    io_server: tuple[str, Any], monkeypatch: pytest.MonkeyPatch, shuffle: bool
) -> None:
    """A CSV load from a URL runs a warm load beside it (forced on natively here); the load's
    batches are those without, also when the warm load fails, and errors still name the URL."""
    from torsh_data._jsapi import stream

    base, server = io_server
    options = {"format": "csv", "label": "label", "shuffle": shuffle, "seed": 3}

    def batches(ld: JsLoader) -> list[dict[str, Any]]:
        return [{k: v.tolist() for k, v in b.items()} for b in epoch(ld)]

    def url_load() -> list[dict[str, Any]]:
        ld = JsLoader(2, json.dumps(options))
        assert run(ld.load_url(f"{base}/csv/w{time.monotonic_ns()}")) == 5
        return batches(ld)

    expected = batches(load(server.CSV, "t.csv", **options))
    assert url_load() == expected  # WARM_LOADS is off natively
    ran: list[bool] = []
    warm_load = stream.warm_load

    async def recorded(opts: dict[str, Any]) -> bool:
        ran.append(await warm_load(opts))
        return ran[-1]

    monkeypatch.setattr(stream, "WARM_LOADS", True)
    monkeypatch.setattr(stream, "warm_load", recorded)
    assert url_load() == expected
    assert ran == [True]
    monkeypatch.setattr(stream, "WARM_CSV", b"a,b,label\n1,oops,0\n")  # the warm load fails
    assert url_load() == expected
    assert ran == [True, False]
    url = f"{base}/missing/w{time.monotonic_ns()}.csv"
    with pytest.raises(TorshDataError, match=re.escape(url)):
        run(JsLoader(2, json.dumps(options)).load_url(url))
    assert len(ran) == 3  # a warm load beside the failed one too


@pytest.mark.needs_jspi(reason=JSPI_REASON)  # in Pyodide it reads a JavaScript Response
def test_a_warm_load_reads_its_own_bytes_and_drops_its_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from torsh_data._jsapi import stream

    assert run(stream.warm_load({"label": "y", "shuffle": True})) is True
    assert run(stream.warm_load({})) is True
    monkeypatch.setattr(stream, "WARM_CSV", b"a,b\n1,2\n")  # no label column
    assert run(stream.warm_load({"label": "y"})) is False


def test_a_warm_load_still_running_when_the_load_ends_is_cancelled() -> None:
    from torsh_data._jsapi import stream

    async def go() -> bool:
        started = asyncio.Event()

        async def slow() -> bool:
            started.set()
            await asyncio.sleep(3600)
            return True

        task = asyncio.ensure_future(slow())
        await started.wait()
        await stream.end_warm_load(task)
        return task.cancelled()

    assert run(go())
