"""``torsh-data pack``: write tar shards and their manifest from local data.

Every input becomes WebDataset-style samples (members grouped by key), cut into tar shards
of about ``shard_size`` bytes (a sample is never split), written with a manifest
``<prefix>.shards.json`` that gives each shard's size, record count and sha256 — what
:class:`~torsh_data.io.ShardedDataset` reads:

- CSV: one sample per row, ``<key>.json`` holding the row as an object of typed values;
- JSONL: one sample per line, ``<key>.json``;
- text: one sample per line, ``<key>.txt``;
- NPY / IDX: one sample per row along the first axis, ``<key>.npy``;
- a folder: its files grouped by base name (``cat/001.jpg`` + ``cat/001.cls`` → sample
  ``cat/001``), in sorted order; symbolic links and names with ``..`` are refused.

Record keys are ``000000000``, ``000000001``, ... across all inputs. The output is
deterministic: the same inputs give the same bytes (members in a fixed order, mtime 0, uid
and gid 0, no user names). Existing output is never overwritten unless ``force``.

>>> import tempfile, os, json
>>> d = tempfile.mkdtemp()
>>> with open(os.path.join(d, "rows.jsonl"), "w") as f:
...     _ = f.write('{"x": 1}\\n{"x": 2}\\n{"x": 3}\\n')
>>> m = write_shards([os.path.join(d, "rows.jsonl")], os.path.join(d, "out"), shard_size=1)
>>> [s["records"] for s in m["shards"]], m["shards"][0]["url"]
([1, 1, 1], 'data-000000.tar')
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from .._checks import check_int
from .._errors import DataValueError, SourceError, TorshDataError

__all__ = ["main", "write_shards"]

Sample = tuple[str, list[tuple[str, bytes]]]  # key, [(extension, data)]
FORMATS = ("csv", "jsonl", "text", "npy", "idx", "files")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".npy": "npy",
    ".idx": "idx",
}
_PREFIX = re.compile(r"[A-Za-z0-9_.-]+")
DEFAULT_SHARD_SIZE = 64 << 20


def _format_of(path: str, given: str | None) -> str:
    if os.path.isdir(path):
        return "files"
    if given is not None:
        return given
    name = path[:-3] if path.endswith(".gz") else path
    base = os.path.basename(name)
    ext = os.path.splitext(base)[1].lower()
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if re.search(r"-idx\d-ubyte$|\.idx\d-ubyte$", base):
        return "idx"
    raise DataValueError(
        f"{path}: cannot tell its format from the name; pass --format ({', '.join(FORMATS)})"
    )


def _records(path: str, fmt: str) -> Iterator[list[tuple[str, bytes]]]:
    """The members of each record of one input file."""
    from .. import formats

    if fmt == "csv":
        delimiter = "\t" if path.endswith((".tsv", ".tsv.gz")) else ","
        for row in formats.read_csv(path, delimiter=delimiter):
            yield [("json", _json(row))]
    elif fmt == "jsonl":
        for obj in formats.read_jsonl(path):
            yield [("json", _json(obj))]
    elif fmt == "text":
        for line in formats.read_text_lines(path):
            yield [("txt", line.encode("utf-8"))]
    elif fmt in ("npy", "idx"):
        tensor = formats.read_npy(path) if fmt == "npy" else formats.read_idx(path)
        if not tensor.shape:
            raise DataValueError(f"{path}: a 0-d array has no rows to pack")
        for i in range(tensor.shape[0]):
            out = io.BytesIO()
            formats.write_npy(out, tensor[i])
            yield [("npy", out.getvalue())]
    else:
        raise DataValueError(f"{path}: unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _folder(root: str) -> Iterator[Sample]:
    """Files under ``root`` grouped by key (WebDataset's base_plus_ext), sorted."""
    from ..formats.tar import base_plus_ext

    groups: dict[str, list[tuple[str, str]]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if os.path.islink(full):
                raise DataValueError(f"{full}: a symbolic link; refused (copy the file in)")
            split = base_plus_ext(rel)
            if split is None:
                continue  # no extension: not part of a sample, as when reading
            groups.setdefault(split[0], []).append((split[1].lower(), full))
    if not groups:
        raise DataValueError(f"{root}: no files with an extension to pack")
    for key in sorted(groups):
        members = []
        for ext, full in sorted(groups[key]):
            try:
                with open(full, "rb") as f:
                    members.append((ext, f.read()))
            except OSError as exc:
                raise SourceError(f"{full}: cannot read: {exc.strerror or exc}") from None
        yield key, members


def _samples(inputs: Iterable[str], fmt: str | None) -> Iterator[Sample]:
    n = 0
    for path in inputs:
        if not os.path.exists(path):
            raise SourceError(f"{path}: no such file or directory")
        kind = _format_of(path, fmt)
        if kind == "files":
            if not os.path.isdir(path):
                raise DataValueError(f"{path}: --format files needs a folder")
            yield from _folder(path)
            continue
        for members in _records(path, kind):  # the readers' errors name the file
            yield f"{n:09d}", members
            n += 1


def _block(n: int) -> int:
    return 512 + n + (-n % 512)


# NOTE [ Tar writing ]: ustar headers are built here from a fixed template (mode 0644, uid and
# gid 0, mtime 0, no user names), so the bytes depend on the samples only; ``tarfile`` took
# three quarters of the packing time doing the same per member. A name longer than 100 bytes
# gets a pax ``path`` header, as POSIX says.
# The header around name and size: mode, uid, gid | mtime, checksum (spaces while it is
# summed), type, link name, magic and version, user and group names, devices, prefix, padding.
_HEAD = (
    b"0000644\0" + b"0000000\0" * 2,
    b"00000000000\0"
    + b" " * 8
    + b"0"
    + bytes(100)
    + b"ustar\x0000"
    + bytes(64)
    + b"0000000\0" * 2
    + bytes(167),
)


def _header(name: bytes, size: int, kind: bytes = b"0") -> bytes:
    head = bytearray(name.ljust(100, b"\0") + _HEAD[0] + b"%011o\0" % size + _HEAD[1])
    head[156:157] = kind
    head[148:156] = b"%06o\0 " % sum(head)
    return bytes(head)


def _pax_record(record: bytes) -> bytes:
    """``b"<length> <record>\\n"``, where the length counts its own digits too."""
    body = b" " + record + b"\n"
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n += 1
    return b"%d" % n + body


def _member(name: str, data: bytes, out: list[bytes]) -> None:
    raw = name.encode("utf-8")
    if len(data) >= 8**11:
        raise DataValueError(f"{name}: a file of 8 GiB or more cannot go into a shard")
    if len(raw) > 100:
        pax = _pax_record(b"path=" + raw)
        out += [_header(b"././@PaxHeader", len(pax), b"x"), pax, bytes(-len(pax) % 512)]
        raw = raw[:100]
    out += [_header(raw, len(data)), data, bytes(-len(data) % 512)]


def _tar(samples: list[Sample]) -> bytes:
    out: list[bytes] = []
    for key, members in samples:
        for ext, data in members:
            _member(f"{key}.{ext}", data, out)
    out.append(bytes(1024))  # the end-of-archive marker
    return b"".join(out)


def _write(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def write_shards(
    inputs: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    format: str | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    max_records: int | None = None,
    prefix: str = "data",
    force: bool = False,
) -> dict[str, Any]:
    """Write tar shards and ``<prefix>.shards.json`` into ``out_dir``; return the manifest.

    Args:
        inputs: files (CSV, JSONL, text, NPY, IDX) and folders, in order.
        out_dir: the output folder (created if needed).
        format: the input format when the file names do not tell (folders are always
            ``"files"``).
        shard_size: target bytes per shard (a shard holds at least one sample).
        max_records: at most this many samples per shard.
        prefix: shard names are ``<prefix>-000000.tar``, ...
        force: replace an existing manifest and shards of the same prefix.

    Raises:
        SourceError: an input is missing or unreadable.
        FormatError: an input is malformed (the message names it).
        DataValueError: bad arguments, or existing output without ``force``.
    """
    paths = [os.fspath(p) for p in inputs]
    if not paths:
        raise DataValueError("nothing to pack: give at least one input")
    check_int("shard_size", shard_size, 1)
    if max_records is not None:
        check_int("max_records", max_records, 1)
    if format is not None and format not in FORMATS:
        raise DataValueError(f"unknown format {format!r}; known: {', '.join(FORMATS)}")
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise DataValueError(f"prefix must be letters, digits and -_. only, got {prefix!r}")
    out = os.fspath(out_dir)
    manifest_path = os.path.join(out, f"{prefix}.shards.json")
    shard_name = re.compile(re.escape(prefix) + r"-\d{6}\.tar")
    old = (
        sorted(n for n in os.listdir(out) if shard_name.fullmatch(n)) if os.path.isdir(out) else []
    )
    if (old or os.path.exists(manifest_path)) and not force:
        raise DataValueError(
            f"{manifest_path} or its shards exist already; pass --force to replace them"
        )
    os.makedirs(out, exist_ok=True)
    shards: list[dict[str, Any]] = []
    current: list[Sample] = []
    size = 1024  # the end-of-archive blocks

    def flush() -> None:
        data = _tar(current)
        name = f"{prefix}-{len(shards):06d}.tar"
        _write(os.path.join(out, name), data)
        shards.append(
            {
                "url": name,
                "size": len(data),
                "records": len(current),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )

    for sample in _samples(paths, format):
        grow = sum(_block(len(data)) for _, data in sample[1])
        if current and (size + grow > shard_size or len(current) == max_records):
            flush()
            current, size = [], 1024
        current.append(sample)
        size += grow
    if current:
        flush()
    if not shards:
        raise DataValueError(f"no records in {', '.join(paths)}: nothing to pack")
    for name in old[len(shards) :]:  # a shorter run with --force: drop the stale shards
        os.remove(os.path.join(out, name))
    manifest = {"version": 1, "format": "tar", "shards": shards}
    _write(manifest_path, (json.dumps(manifest, indent=1) + "\n").encode())
    return manifest


def _size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)[iI]?[bB]?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 64MB, 500k, 1048576)")
    return int(m.group(1)) << {"": 0, "k": 10, "m": 20, "g": 30}[m.group(2).lower()]


def main(argv: list[str] | None = None) -> int:
    """``torsh-data pack INPUT... -o OUT_DIR [--shard-size 64MB]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="torsh-data pack",
        description="Write tar shards and a manifest (<prefix>.shards.json) from local data.",
    )
    parser.add_argument("inputs", nargs="+", help="CSV, JSONL, text, NPY or IDX files, folders")
    parser.add_argument("-o", "--output", required=True, help="output folder")
    parser.add_argument("--format", choices=FORMATS, help="input format (default: by name)")
    parser.add_argument(
        "--shard-size",
        type=_size,
        default=DEFAULT_SHARD_SIZE,
        help="target shard size, e.g. 64MB (default)",
    )
    parser.add_argument("--max-records", type=int, help="at most this many records per shard")
    parser.add_argument("--prefix", default="data", help="shard name prefix (default: data)")
    parser.add_argument("--force", action="store_true", help="replace existing output")
    args = parser.parse_args(argv)
    try:
        manifest = write_shards(
            args.inputs,
            args.output,
            format=args.format,
            shard_size=args.shard_size,
            max_records=args.max_records,
            prefix=args.prefix,
            force=args.force,
        )
    except (TorshDataError, OSError) as exc:
        print(f"torsh-data pack: error: {exc}", file=sys.stderr)
        return 1
    shards = manifest["shards"]
    records = sum(s["records"] for s in shards)
    total = sum(s["size"] for s in shards)
    print(
        f"wrote {len(shards)} shards, {records} records, {total} bytes, and "
        f"{os.path.join(args.output, args.prefix + '.shards.json')}"
    )
    return 0
