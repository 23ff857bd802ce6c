"""Decoders of tar-shard members by extension (the ``decode=`` of :mod:`.tar`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._errors import DataTypeError, FormatError, TorshDataError
from .._json import load_json
from .image import IMAGE_EXTENSIONS, decode_image

__all__ = ["Decode", "decoder_table", "default_decoders"]

Decode = bool | Mapping[str, Callable[[bytes], Any] | None]


# --- decoders ----------------------------------------------------------------------------
def _int(data: bytes, label: str) -> int:
    try:
        if len(data) > 64:
            raise ValueError
        return int(data.decode("ascii").strip())
    except ValueError:
        raise FormatError(f"not an integer: {data[:20]!r}", source=label) from None


def _text(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"not UTF-8 text ({exc.reason})", source=label, offset=exc.start
        ) from None


def _json(data: bytes, label: str) -> Any:
    return load_json(data, source=label)


def _npy(data: bytes, label: str) -> Any:
    from .npy import read_npy

    return read_npy(data, name=label)


def _idx(data: bytes, label: str) -> Any:
    from .idx import read_idx

    return read_idx(data, name=label)


def _image(data: bytes, label: str) -> Any:
    return decode_image(data, name=label)


def default_decoders() -> dict[str, Callable[[bytes, str], Any]]:
    """The decoders ``decode=True`` uses: extension → ``fn(data, label)``.

    ``cls``/``cls2``/``index`` → int, ``txt``/``text`` → str, ``json`` → parsed JSON,
    ``npy``/``idx`` → Tensor, image extensions → uint8 Tensor (``decode_image``); anything else
    stays bytes.
    """
    table: dict[str, Callable[[bytes, str], Any]] = {
        "cls": _int,
        "cls2": _int,
        "index": _int,
        "txt": _text,
        "text": _text,
        "json": _json,
        "npy": _npy,
        "idx": _idx,
    }
    table.update(dict.fromkeys(IMAGE_EXTENSIONS, _image))
    return table


def decoder_table(decode: Decode) -> dict[str, Callable[[bytes, str], Any] | None]:
    if decode is False:
        return {}
    table: dict[str, Callable[[bytes, str], Any] | None] = dict(default_decoders())
    if decode is True:
        return table
    if not isinstance(decode, Mapping):
        raise DataTypeError(
            f"decode must be True, False or a dict of decoders, not {type(decode).__name__}"
        )
    for ext, fn in decode.items():
        if fn is not None and not callable(fn):
            raise DataTypeError(f"decoder for {ext!r} is not callable")
        table[ext.lower().lstrip(".")] = None if fn is None else _user(fn)
    return table


def _user(fn: Callable[[bytes], Any]) -> Callable[[bytes, str], Any]:
    def call(data: bytes, label: str) -> Any:
        try:
            return fn(data)
        except TorshDataError:
            raise
        except Exception as exc:
            raise FormatError(f"decoder failed: {exc!r}", source=label) from exc

    return call
