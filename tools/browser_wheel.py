"""Make the browser build of the torsh-data wheel: the same code, smaller on the wire.

    python tools/browser_wheel.py dist/torsh_data-0.1.0-py3-none-any.whl -o dist/browser/

NOTE [ Browser wheel ]: browsers download the package on every first visit, so the wheel the
JavaScript package and the demo ship is a build of the release wheel with (1) function and
class docstrings and comments removed (``ast.unparse``; a module keeps the first line of its
docstring), which are documentation for people reading the source, not code, and (2) its
files STORED rather than deflated, so the server's gzip or brotli compresses across files
(solid compression) instead of file by file. Annotations, names and behaviour are unchanged;
the JS and demo tests run on this build. ``pip install torsh-data`` keeps the full wheel.
"""

from __future__ import annotations

import argparse
import ast
import base64
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path


def _strip(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            doc = body[0].value.value
            if not isinstance(doc, str):
                continue
            if isinstance(node, ast.Module):
                body[0].value.value = doc.strip().split("\n")[0]
            elif len(body) > 1:
                body.pop(0)
            else:
                body[0].value.value = ...
    return ast.unparse(tree) + "\n"


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build(wheel: Path, out_dir: Path) -> Path:
    """Write the browser build of ``wheel`` into ``out_dir`` (same file name)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / wheel.name
    files: list[tuple[str, bytes]] = []
    record_name = None
    with zipfile.ZipFile(wheel) as zin:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                record_name = info.filename
                continue
            if info.filename.endswith(".py"):
                data = _strip(data.decode("utf-8")).encode("utf-8")
            files.append((info.filename, data))
    if record_name is None:
        raise SystemExit(f"{wheel}: not a wheel (no RECORD)")
    record = "".join(f"{name},{record_hash(data)},{len(data)}\n" for name, data in files)
    files.append((record_name, (record + f"{record_name},,\n").encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zout:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    target.write_bytes(buf.getvalue())
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1] if __doc__ else None)
    p.add_argument("wheel", type=Path)
    p.add_argument("-o", "--out-dir", type=Path, default=Path("dist/browser"))
    args = p.parse_args(argv)
    target = build(args.wheel, args.out_dir)
    raw = target.read_bytes()
    print(
        f"{target}: {len(raw)} bytes stored, {len(gzip.compress(raw, 9))} gzip -9 "
        f"(release wheel {args.wheel.stat().st_size})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
