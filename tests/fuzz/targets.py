"""The table of fuzz targets: every parser and decoder, with valid files made by real writers.

A :class:`Target` is a name, a function making valid inputs (our writers, the stdlib's
``csv``/``json``/``wave``/``tarfile``/``gzip``/``zipfile``, Pillow natively), the parse
function that must return or raise one of our errors, and optionally a strategy generating
inputs from nothing. Adding a parser is one entry in :data:`TARGETS`.
"""

from __future__ import annotations

import asyncio
import atexit
import csv
import functools
import gzip
import io
import json
import shutil
import struct
import sys
import tarfile
import tempfile
import wave
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import mutations as S
from hypothesis import strategies as st

from torsh_data import DataLoader, Tensor, TensorDataset
from torsh_data import formats as F

IN_PYODIDE = sys.platform == "emscripten"
TEXT_DATA = Path(__file__).resolve().parents[1] / "text" / "data"


class WrongResult(AssertionError):
    """A parser returned something other than what the input holds (silently wrong)."""


@dataclass(frozen=True)
class Target:
    name: str
    seeds: Callable[[], list[bytes]]
    parse: Callable[[bytes], Any]
    generated: Callable[[], st.SearchStrategy[bytes]] | None = None
    json: bool = False  # the seeds are JSON: also edit their values (S.json_mutated)
    skip: str | None = None  # why the target cannot run here (None: it can)
    #: It waits on a JavaScript promise in Pyodide (WebCrypto): marked needs_jspi.
    needs_jspi: bool = False
    #: Hostile inputs always tried first: what broke this parser before (issue 17).
    corpus: Callable[[], list[bytes]] = lambda: []

    def inputs(self) -> st.SearchStrategy[bytes]:
        seeds = self.seeds()
        parts = [S.mutated(seeds), S.patterned()]
        if self.json:  # twice: a document's values are where hostile numbers go
            parts += [S.json_mutated(seeds)] * 2
        if self.generated is not None:
            parts.append(self.generated())
        return st.one_of(parts)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@functools.cache
def _tmp() -> Path:
    path = tempfile.mkdtemp(prefix="torsh-fuzz-")
    atexit.register(shutil.rmtree, path, True)
    return Path(path)


# --- tables and text --------------------------------------------------------------------------
def _csv_seeds() -> list[bytes]:
    out = []
    for rows in (
        [["a", "b", "label"], [1, 2.5, 0], [3, -4e3, 1], [5, "", 0]],
        [["name", "text"], ["x", 'he said "hi", then\nleft'], ["y", ""], ["z", "é ✓"]],
        [["n"], *([k] for k in range(20))],
    ):
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        out.append(buf.getvalue().encode("utf-8"))
    return out


def _read_csv(data: bytes) -> Any:
    F.read_csv(data, name="fuzz.csv", missing="nan")
    F.read_csv(data, name="fuzz.csv", header=False, missing="nan")


def _records() -> list[Any]:
    return [
        {"x": [1, 2.5, None], "y": "text \u2028 é", "z": {"deep": [True, False]}},
        {"x": [], "y": "", "z": None},
        [1, 2, 3],
        "a string",
        12345678901234567890,
    ]


def _json_seeds() -> list[bytes]:
    return [json.dumps(_records()).encode(), json.dumps(_records(), indent=2).encode(), b"[]"]


def _jsonl_seeds() -> list[bytes]:
    return [b"".join(json.dumps(r).encode() + b"\n" for r in _records()), b'{"a": 1}\r\n{}']


def _text_seeds() -> list[bytes]:
    return [
        "line one\nline two\r\n\nlast é ✓".encode(),
        b"\xef\xbb\xbfwith BOM\rold mac\n",
        b"",
    ]


# --- arrays -----------------------------------------------------------------------------------
def _tensors() -> list[Tensor]:
    return [
        Tensor([[1, 2, 3], [4, 5, 6]]).astype("uint8"),
        Tensor([1.5, -2.0, 3.25]).astype("float32"),
        Tensor([[[1]], [[2]]]).astype("int32"),
        Tensor([0.5, 1.5]).astype("float64"),
        Tensor([[1, -2], [3, -4]]).astype("int16"),
    ]


def _npy_seeds() -> list[bytes]:
    out = []
    for t in [*_tensors(), Tensor([True, False]), Tensor(7)]:
        buf = io.BytesIO()
        F.write_npy(buf, t)
        out.append(buf.getvalue())
    return out


def _npz_seeds() -> list[bytes]:
    out = []
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression) as zf:
            for k, npy in enumerate(_npy_seeds()[:3]):
                zf.writestr(f"arr_{k}.npy", npy)
        out.append(buf.getvalue())
    return out


def _idx_seeds(compress: bool = False) -> list[bytes]:
    out = []
    for t in _tensors():
        buf = io.BytesIO()
        F.write_idx(buf, t, compress=compress)
        out.append(buf.getvalue())
    return out


# --- records ----------------------------------------------------------------------------------
def _tar_seeds() -> list[bytes]:
    members = [
        ("s0.json", json.dumps({"a": 1}).encode()),
        ("s0.cls", b"3"),
        ("s0.txt", "é text".encode()),
        ("s1.npy", _npy_seeds()[0]),
        ("s1.idx", _idx_seeds()[0]),
        ("dir/s2.png", _png_seeds()[0]),
        ("dir/s2.pgm", _pnm_seeds()[1]),
        ("dir/" + "long" * 40 + ".txt", b"long name"),
    ]
    out = []
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
            for name, data in members:
                if fmt == tarfile.USTAR_FORMAT and len(name) > 100:
                    continue
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        out.append(buf.getvalue())
    out.append(gzip.compress(out[-1], mtime=0))
    return out


def _iter_tar(data: bytes) -> Any:
    return list(F.iter_tar_samples(data, name="fuzz.tar"))


def _examples() -> list[bytes]:
    return [
        F.encode_example(
            {"label": 3, "image": b"\x00\x01\x02", "f": [0.5, 1.5], "ids": [1, -2, 3]}
        ),
        F.encode_example({"text": [b"a", b"bc"], "one": 1.0}),
        F.encode_example({}),
    ]


def _tfrecord_seeds() -> list[bytes]:
    buf = io.BytesIO()
    F.write_tfrecord(buf, _examples())
    plain = buf.getvalue()
    return [plain, gzip.compress(plain, mtime=0)]


def _read_tfrecord(data: bytes) -> Any:
    compression = "gzip" if data[:2] == b"\x1f\x8b" else None
    return [F.decode_example(r) for r in F.read_tfrecord(data, compression=compression)]


# --- images and audio -------------------------------------------------------------------------
def _png_seeds() -> list[bytes]:
    from torsh_data.vision._convert import encode_png

    out = [
        encode_png(Tensor([[[k, 255 - k, 7] for k in range(4)]] * 3).astype("uint8")),
        encode_png(Tensor([[[k] for k in range(5)]] * 2).astype("uint8"), compress_level=0),
        encode_png(Tensor([[[1, 2, 3, 4]] * 2] * 2).astype("uint8")),
    ]
    if _has("PIL"):
        from PIL import Image

        for mode, extra in (("P", {}), ("I;16", {}), ("1", {}), ("RGBA", {"interlace": 1})):
            buf = io.BytesIO()
            Image.new(mode, (5, 3), 0).save(buf, "PNG", **extra)
            out.append(buf.getvalue())
    return out


def _pnm_seeds() -> list[bytes]:
    out = [
        b"P1\n# bits\n3 2\n1 0 1\n0 1 0\n",
        b"P5\n3 2\n255\n" + bytes(range(6)),
        b"P6 2 1 65535\n" + bytes(range(12)),
        b"P2\n2 2\n15\n0 5 10 15\n",
        b"P3\n1 1\n255\n1 2 3\n",
        b"P4\n8 1\n\xaa",
    ]
    if _has("PIL"):
        from PIL import Image

        for mode in ("L", "RGB"):
            buf = io.BytesIO()
            Image.new(mode, (4, 3), 9).save(buf, "PPM")
            out.append(buf.getvalue())
    return out


def _jpeg_seeds() -> list[bytes]:
    from PIL import Image

    out = []
    for mode, extra in (("RGB", {}), ("L", {"progressive": True}), ("CMYK", {})):
        buf = io.BytesIO()
        Image.new(mode, (9, 7), 100).save(buf, "JPEG", **extra)
        out.append(buf.getvalue())
    return out


def _decode_image(data: bytes) -> Any:
    return F.decode_image(data, name="fuzz-image", max_pixels=1 << 22)


def _wav_seeds() -> list[bytes]:
    from torsh_data.audio import save_wav

    out = []
    for width, channels in ((1, 1), (2, 2), (3, 1), (4, 2)):
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(width)
            w.setframerate(8000)
            w.writeframes(bytes(range(width * channels * 6)))
        out.append(buf.getvalue())
    buf = io.BytesIO()
    save_wav(
        buf,
        Tensor([[0.5, -0.25, 1.0]]).astype("float32"),
        16000,
        bits_per_sample=32,
        encoding="float",
    )
    out.append(buf.getvalue())
    return out


def _load_wav(data: bytes) -> Any:
    from torsh_data.audio import load_wav

    return load_wav(data, name="fuzz.wav")


# --- text models ------------------------------------------------------------------------------
def _tokenizer_seeds() -> list[bytes]:
    names = ("bpe_tokenizer.json", "wordpiece_tokenizer.json", "wordpiece_variant_tokenizer.json")
    out = [(TEXT_DATA / n).read_bytes() for n in names]
    doc = json.loads(out[1])  # with truncation and padding, so that their fields get edited
    doc["truncation"] = {
        "max_length": 8,
        "stride": 0,
        "strategy": "LongestFirst",
        "direction": "Right",
    }
    doc["padding"] = {
        "strategy": {"Fixed": 12},
        "direction": "Right",
        "pad_id": 0,
        "pad_token": "[PAD]",
    }
    return [*out, json.dumps(doc).encode()]


def _tokenizer(data: bytes) -> Any:
    from torsh_data.text import Tokenizer

    tok = Tokenizer.from_file(_in_file("tokenizer.json", data))
    return tok.encode("Hello, wörld! unaffable 123"), tok.encode("x", "pair")


def _in_file(name: str, data: bytes) -> Path:
    path = _tmp() / name
    path.write_bytes(data)
    return path


def _vocab_txt(data: bytes) -> Any:
    from torsh_data.text import wordpiece_from_vocab

    return wordpiece_from_vocab(_in_file("vocab.txt", data)).encode("Hello unaffable")


def _bpe_vocab(data: bytes) -> Any:
    from torsh_data.text import bpe_from_files

    merges = TEXT_DATA / "bpe-merges.txt"
    return bpe_from_files(_in_file("vocab.json", data), merges).encode("Hello world")


def _bpe_merges(data: bytes) -> Any:
    from torsh_data.text import bpe_from_files

    vocab = TEXT_DATA / "bpe-vocab.json"
    return bpe_from_files(vocab, _in_file("merges.txt", data)).encode("Hello world")


def _vocab_json_seeds() -> list[bytes]:
    from torsh_data.text import build_vocab_from_iterator

    v = build_vocab_from_iterator([["a", "b", "a"], ["c", "é"]], specials=["<unk>"])
    v.set_default_index(0)
    return [v.to_json().encode(), json.dumps({"itos": ["x"], "default_index": None}).encode()]


def _vocab_json(data: bytes) -> Any:
    from torsh_data.text import Vocab

    v = Vocab.from_json(data)
    return v.lookup_indices(["a", "zz"]) if v.get_default_index() is not None else len(v)


# --- bombs: small inputs that claim or inflate to gigabytes ----------------------------------
def _bombs(*makers: Callable[[], bytes]) -> Callable[[], st.SearchStrategy[bytes]]:
    return lambda: st.sampled_from(makers).map(lambda make: make())


def _tar_bomb_prefix() -> bytes:
    return _tar_seeds()[-2]  # a whole pax archive, end marker included; zeros follow it


# The array readers get a cap under the harness's memory bound: a bomb claiming exactly the
# default cap (4 GiB natively) is a genuine array by that cap, so only inflating it all could
# refuse it; the default caps themselves are checked in tests/formats/test_hostile_sizes.py.
CAP = 64 << 20
_IDX_HUGE = bytes([0, 0, 8, 2]) + struct.pack(">II", 1 << 20, 1 << 12)
_NPY_HUGE = S._npy("|u1", [1 << 16, 1 << 16], False, b"")
_PNG_HEAD = b"\x89PNG\r\n\x1a\n"


def _png_bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return _PNG_HEAD + chunk(b"IHDR", ihdr) + chunk(b"IDAT", S.zlib_bomb()) + chunk(b"IEND", b"")


# --- shards, caches, loader state, JS options -------------------------------------------------
def _manifest_seeds() -> list[bytes]:
    from torsh_data.io._pack import write_shards

    src = _tmp() / "pack-in.jsonl"
    src.write_bytes(b"".join(json.dumps({"i": k}).encode() + b"\n" for k in range(30)))
    out = _tmp() / "pack-out"
    manifest = write_shards([src], out, shard_size=64, force=True)
    return [
        json.dumps(manifest).encode(),
        json.dumps({"shards": "data-{000000..000002}.tar"}).encode(),
        json.dumps({"shards": ["data-000001.tar", {"url": "./data-000000.tar"}]}).encode(),
    ]


def _manifest(data: bytes) -> Any:
    """Validate the manifest, then read its shards (local files beside the packed ones)."""
    from torsh_data.io import ShardedDataset
    from torsh_data.io._manifest import _decode, parse_manifest

    base = str(_tmp() / "pack-out")
    m = parse_manifest(_decode(data, "fuzz.shards.json"), base=base, source="fuzz.shards.json")
    ds = ShardedDataset(m, rank=0, world_size=1, seed=0, retries=0)
    if m.records is not None:
        len(ds)
    if not all(s.local for s in m.shards[:100]):
        return m  # a URL would be fetched: the fuzzer stays off the network
    out = []

    async def read() -> None:
        async for record in ds:
            out.append(record)

    _run(read())
    return out


def _run(coro: Any) -> Any:
    try:  # asyncio.run, or Pyodide without JSPI: the tests' Python-only loop
        from support import run
    except ImportError:  # (replay.py has only tests/fuzz on its path)
        return asyncio.run(coro)
    return run(coro)


class _Entries:
    """A directory cache with one entry ``k0`` whose file the fuzzer rewrites."""

    def __init__(self, passphrase: str | None) -> None:
        from torsh_data.io import Cache, _crypto

        self.passphrase, self.root = passphrase, _tmp() / "caches"
        self.name = "enc" if passphrase else "plain"
        self.value = b"the stored bytes \x00\xff" * 3
        saved = _crypto.PBKDF2_ITERATIONS
        _crypto.PBKDF2_ITERATIONS = 1000  # a quick record; the format is the same
        try:
            cache = Cache(self.name, root=self.root, passphrase=passphrase)
            before = set(self.dir.glob("*.tdc"))
            _run(cache.put("k0", self.value))
            (self.file,) = set(self.dir.glob("*.tdc")) - before
            _run(cache.put("k1", b"another entry"))
        finally:
            _crypto.PBKDF2_ITERATIONS = saved
        self.files = sorted(self.dir.glob("*.tdc"))
        self.record = (self.dir / "crypt.json").read_bytes() if passphrase else None

    @property
    def dir(self) -> Path:
        return self.root / self.name

    def seeds(self) -> list[bytes]:
        return [f.read_bytes() for f in self.files]

    def check(self, entry: bytes | None = None, record: bytes | None = None) -> Any:
        from torsh_data.io import Cache

        saved = {f: f.read_bytes() for f in self.files}
        if entry is not None:
            self.file.write_bytes(entry)
        if record is not None:
            (self.dir / "crypt.json").write_bytes(record)
        try:
            cache = Cache(self.name, root=self.root, passphrase=self.passphrase)
            got = _run(cache.get("k0"))
            if got is not None and got != self.value:
                raise WrongResult(f"Cache.get returned {got[:60]!r}, not the stored bytes")
            return got, _run(cache.keys())
        finally:  # the next input starts from the valid cache
            for f, data in saved.items():
                f.write_bytes(data)
            if self.record is not None:
                (self.dir / "crypt.json").write_bytes(self.record)


@functools.cache
def _entries(encrypted: bool) -> _Entries:
    return _Entries("fuzz passphrase" if encrypted else None)


def _crypto_skip() -> str | None:
    if IN_PYODIDE or _has("cryptography"):
        return None
    return "the native AES-GCM comes from the optional cryptography package, not installed here"


def _loader(**kw: Any) -> DataLoader:
    return DataLoader(TensorDataset(Tensor(list(range(10)))), batch_size=3, **kw)


def _state_seeds() -> list[bytes]:
    out = []
    for kw, steps in (({"shuffle": True, "seed": 4}, 1), ({}, 2), ({"shuffle": True}, 0)):
        loader = _loader(**kw)
        it = iter(loader)
        for _ in range(steps):
            next(it)
        out.append(json.dumps(loader.state_dict(), sort_keys=True).encode())
    return out


class _OneEntry:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def get(self, key: str) -> bytes:
        return self.data


def _restore_state(data: bytes) -> Any:
    from torsh_data.loader import restore_state

    loader = _loader(shuffle=True)
    _run(restore_state(loader, _OneEntry(data), "state"))
    seen = [int(v) for (batch,) in loader for v in batch.tolist()]
    if len(seen) != len(set(seen)):
        raise WrongResult(f"a restored epoch repeated samples: {seen}")
    return seen


#: Option values the JS facade's fuzzer leaves out: they start processes or write caches.
_UNSAFE_OPTIONS = ("workers", "cache")


def _options_seeds() -> list[bytes]:
    return [
        json.dumps(o).encode()
        for o in (
            {"label": "y", "shuffle": True, "seed": 3, "dropLast": True},
            {"columns": ["a"], "names": ["feat", "lab"], "label": "y", "cast": {"int64": "int32"}},
            {
                "format": "csv",
                "delimiter": ",",
                "header": True,
                "chunkSize": 7,
                "inMemoryBytes": 16,
            },
            {"transforms": [{"name": "Standardize", "column": "x"}], "label": "y"},
        )
    ]


def _options_generated() -> st.SearchStrategy[bytes]:
    from torsh_data._jsapi.options import _ALIASES, _OPTIONS

    keys = sorted((set(_OPTIONS) | set(_ALIASES)) - set(_UNSAFE_OPTIONS))
    return st.dictionaries(st.sampled_from(keys), S.json_values(8), max_size=6).map(
        lambda d: json.dumps(d).encode()
    )


def _js_options(data: bytes) -> Any:
    from torsh_data._jsapi import JsLoader
    from torsh_data._json import load_json

    text = data.decode("utf-8", "replace")  # JavaScript hands over a JSON.stringify string
    try:  # bounded: a plain json.loads of a deep document kills Pyodide (a wasm stack overflow)
        doc = load_json(text, source="options")
    except ValueError:
        doc = None
    if isinstance(doc, dict) and any(k in doc for k in _UNSAFE_OPTIONS):
        return None  # see _UNSAFE_OPTIONS
    loader = JsLoader(2, text)

    async def drain() -> int:
        await loader.load_bytes(b"a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n", name="t.csv")
        n = 0
        while n < 50 and await loader.next_batch() is not None:
            n += 1
        return n

    return _run(drain())


# --- streaming readers (the browser's path): the same bytes fed in uneven chunks ------------
def _streamed(fmt: str, **options: Any) -> Callable[[bytes], Any]:
    def parse(data: bytes) -> Any:
        from torsh_data.io import reader_for

        if fmt == "idx":  # read whole by the JS facade, incrementally by IdxReader
            reader: Any = F.IdxReader(name="fuzz.idx", **options)
        else:
            reader = reader_for(fmt, name=f"fuzz.{fmt}", **options)
        out, at, k = [], 0, 0
        while at < len(data):
            size = (1, 7, 64, 4096)[k % 4]
            out += reader.feed(data[at : at + size])
            at, k = at + size, k + 1
        return out + reader.close()

    return parse


def _json_docs(*docs: Any) -> Callable[[], list[bytes]]:
    return lambda: [json.dumps(d).encode() for d in docs]


def _tokenizer_corpus() -> list[bytes]:
    doc = json.loads(_tokenizer_seeds()[-1])
    return [
        json.dumps({**doc, "truncation": {**doc["truncation"], "strategy": ["x"]}}).encode(),
        json.dumps({**doc, "padding": {**doc["padding"], "strategy": {"Fixed": 10**9}}}).encode(),
        b"[" * 100_000,
    ]


_DEEP_STRING = b"[" * 600 + b'"' + b'\\"' * 40_000
_ZERO_WIDTH_NPY = S._npy("|u1", [2**31, 0], False, b"")
_ZERO_WIDTH_IDX = bytes([0, 0, 8, 2]) + struct.pack(">II", 2**31, 0)
_MANIFESTS = _json_docs(
    {"shards": "s{0..999999}.tar"},
    {"shards": [{"url": "data-000000.tar", "records": 10**30}]},
    {"shards": "s{0..%s}.tar" % ("9" * 4400)},
    {"shards": ["data\x00.tar"]},
)
_STATES = _json_docs(
    {"batches": 2**63, "epoch": 0, "sampler": None, "seed": 4, "version": 1},
    {"batches": 0, "epoch": 10**30, "sampler": None, "seed": -(2**70), "version": 1},
)

TARGETS: list[Target] = [
    Target("csv", _csv_seeds, _read_csv, S.hostile_text),
    Target("json", _json_seeds, lambda d: F.read_json(d, name="fuzz.json"), S.deep_json, json=True),
    Target("jsonl", _jsonl_seeds, lambda d: F.read_jsonl(d, name="fuzz.jsonl"), S.deep_json),
    Target("text", _text_seeds, lambda d: F.read_text_lines(d, name="fuzz.txt"), S.hostile_text),
    Target(
        "npy", _npy_seeds, lambda d: F.read_npy(d, name="fuzz.npy", max_bytes=CAP), S.npy_claims
    ),
    Target(
        "npz",
        _npz_seeds,
        lambda d: F.read_npz(d, name="fuzz.npz", max_bytes=CAP),
        _bombs(lambda: S.zip_bomb("a.npy"), lambda: S.zip_bomb("b.npy", _NPY_HUGE, 4 << 30)),
    ),
    Target(
        "idx", _idx_seeds, lambda d: F.read_idx(d, name="fuzz.idx", max_bytes=CAP), S.idx_claims
    ),
    Target(
        "idx.gz",
        lambda: _idx_seeds(True),
        lambda d: F.read_idx(d, name="fuzz.idx.gz", max_bytes=CAP),
        _bombs(S.gzip_bomb, lambda: S.gzip_bomb(_IDX_HUGE, 4 << 30)),
    ),
    Target(
        "tar",
        _tar_seeds,
        _iter_tar,
        lambda: st.one_of(
            S.tar_long_names(), _bombs(lambda: S.gzip_bomb(_tar_bomb_prefix(), 4 << 30))()
        ),
    ),
    Target("tfrecord", _tfrecord_seeds, _read_tfrecord, _bombs(S.gzip_bomb)),
    Target("tf.Example", _examples, lambda d: F.decode_example(d, name="fuzz-example")),
    Target(
        "png",
        _png_seeds,
        lambda d: F.decode_png(d, name="fuzz.png"),
        _bombs(lambda: _png_bomb(1, 1), lambda: _png_bomb(1 << 15, 1 << 15)),
    ),
    Target("pnm", _pnm_seeds, lambda d: F.decode_pnm(d, name="fuzz.pnm")),
    Target("image", lambda: _png_seeds() + _pnm_seeds(), _decode_image),
    Target(
        "jpeg (Pillow)",
        _jpeg_seeds,
        _decode_image,
        skip=None if _has("PIL") else "Pillow is not installed here (and not in Pyodide's wheels)",
    ),
    Target("wav", _wav_seeds, _load_wav),
    Target("tokenizer.json", _tokenizer_seeds, _tokenizer, lambda: S.json_bytes(), json=True),
    Target("vocab.txt", lambda: [(TEXT_DATA / "wordpiece-vocab.txt").read_bytes()], _vocab_txt),
    Target(
        "vocab.json (BPE)",
        lambda: [(TEXT_DATA / "bpe-vocab.json").read_bytes()],
        _bpe_vocab,
        json=True,
    ),
    Target("merges.txt (BPE)", lambda: [(TEXT_DATA / "bpe-merges.txt").read_bytes()], _bpe_merges),
    Target("Vocab.from_json", _vocab_json_seeds, _vocab_json, lambda: S.json_bytes(), json=True),
    Target("manifest", _manifest_seeds, _manifest, lambda: S.json_bytes(), json=True),
    Target(
        "cache entry",
        lambda: _entries(False).seeds(),
        lambda d: _entries(False).check(entry=d),
    ),
    Target(
        "cache entry (encrypted)",
        lambda: _entries(True).seeds(),
        lambda d: _entries(True).check(entry=d),
        skip=_crypto_skip(),
        needs_jspi=True,
    ),
    Target(
        "cache record (encrypted)",
        lambda: [_entries(True).record or b""],
        lambda d: _entries(True).check(record=d),
        json=True,
        skip=_crypto_skip(),
        needs_jspi=True,
    ),
    Target("loader state", _state_seeds, _restore_state, lambda: S.json_bytes(), json=True),
    Target("JS options", _options_seeds, _js_options, _options_generated, json=True),
    *(
        Target(f"stream:{fmt}", seeds, _streamed(fmt, **options), generated)
        for fmt, seeds, options, generated in (
            ("csv", _csv_seeds, {"missing": "nan"}, S.hostile_text),
            ("json", _json_seeds, {}, S.deep_json),
            ("jsonl", _jsonl_seeds, {}, S.deep_json),
            ("text", _text_seeds, {}, S.hostile_text),
            ("npy", _npy_seeds, {}, S.npy_claims),
            ("idx", lambda: _idx_seeds() + _idx_seeds(True), {}, S.idx_claims),
            ("tar", _tar_seeds, {}, S.tar_long_names),
        )
    ),
]

_DEEP = b"[" * 100_000
#: What broke each parser before (issue 17), tried before the generated inputs.
_CORPUS: dict[str, Callable[[], list[bytes]]] = {
    "json": lambda: [_DEEP_STRING],
    "jsonl": lambda: [_DEEP_STRING],
    "stream:json": lambda: [_DEEP_STRING],
    "stream:jsonl": lambda: [_DEEP_STRING],
    "npz": lambda: [S.zip_bomb("a.npy"), S.zip_bomb("b.npy", _NPY_HUGE, 4 << 30)],
    "idx.gz": lambda: [S.gzip_bomb()],
    "tar": lambda: [S._tar_named("a", 200_000), S.gzip_bomb(_tar_bomb_prefix(), 4 << 30)],
    "stream:tar": lambda: [S._tar_named("a", 200_000)],
    "stream:npy": lambda: [_ZERO_WIDTH_NPY],
    "stream:idx": lambda: [_ZERO_WIDTH_IDX],
    "manifest": _MANIFESTS,
    "loader state": _STATES,
    "tokenizer.json": _tokenizer_corpus,
    "vocab.json (BPE)": lambda: [_DEEP],
    "Vocab.from_json": lambda: [_DEEP],
    "cache record (encrypted)": lambda: [_DEEP],
    "JS options": lambda: [_DEEP],
}
TARGETS = [replace(t, corpus=_CORPUS[t.name]) if t.name in _CORPUS else t for t in TARGETS]
