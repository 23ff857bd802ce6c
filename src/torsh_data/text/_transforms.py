"""Text transforms with torchtext's names: each takes one token list or a batch of them.

>>> from torsh_data.text import basic_english, build_vocab_from_iterator
>>> vocab = build_vocab_from_iterator([["a", "b"]], specials=["<pad>", "<bos>"])
>>> pipe = Sequential(Truncate(2), VocabTransform(vocab), AddToken(1), ToTensor(padding_value=0))
>>> pipe([["a", "b", "a"], ["b"]]).tolist()
[[1, 2, 3], [1, 3, 0]]

A :class:`Sequential` that starts with the :func:`~torsh_data.text.basic_english` tokenizer
takes a line (a ``str``) or a batch of lines (a list of ``str``):

>>> encode = Sequential(basic_english, Truncate(2), VocabTransform(vocab))
>>> encode("A b a"), encode(["b", "A"])
([2, 3], [[3], [2]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import _dtype
from .._errors import DataTypeError, DataValueError, ShapeError
from .._wasm.text import encode_line, encode_lines
from ..tensor import Tensor
from ._basic import basic_english, basic_english_batch
from ._vocab import Vocab

__all__ = ["AddToken", "PadTransform", "Sequential", "ToTensor", "Truncate", "VocabTransform"]


_ROW = (list, tuple, Tensor)  # what a batch's items are


def _is_batch(x: Any) -> bool:
    """A batch is a list/tuple whose first item is itself a list/tuple (or a 1-D Tensor)."""
    if isinstance(x, Tensor):
        return x.ndim == 2
    if not isinstance(x, (list, tuple)):
        raise DataTypeError(f"expected a list of tokens or a batch of them, not {type(x).__name__}")
    return bool(x) and isinstance(x[0], _ROW)


# NOTE [ One sample's tokens ]: a loader calls these transforms once per sample, where the
# checks cost as much as the work (Truncate's slice, a lookup of 30 tokens). A plain list
# whose first item is no row is one sample's tokens: ``Truncate`` and ``VocabTransform`` test
# that inline and skip ``_is_batch``; a list's slice is a new list already, so no copy follows.


def _check_length(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DataValueError(f"{name} must be an integer >= 0, got {value!r}")
    return value


class Truncate:
    """Keep the first ``max_seq_len`` tokens.

    >>> Truncate(2)(["a", "b", "c"])
    ['a', 'b']
    """

    def __init__(self, max_seq_len: int) -> None:
        self.max_seq_len = _check_length("max_seq_len", max_seq_len)

    def __call__(self, x: Any) -> Any:
        n = self.max_seq_len
        if type(x) is list and not (x and isinstance(x[0], _ROW)):  # NOTE [ One sample's tokens ]
            return x[:n]
        if _is_batch(x):
            return [s[:n] if type(s) is list else list(s[:n]) for s in x]
        return list(x[:n])


class AddToken:
    """Add ``token`` (a string or an id) at the beginning (``begin=True``) or the end.

    >>> AddToken("<eos>", begin=False)(["a"])
    ['a', '<eos>']
    """

    def __init__(self, token: int | str, begin: bool = True) -> None:
        if isinstance(token, bool) or not isinstance(token, (int, str)):
            raise DataTypeError(f"token must be an int or str, not {type(token).__name__}")
        self.token, self.begin = token, begin

    def _one(self, s: Sequence[Any]) -> list[Any]:
        return [self.token, *s] if self.begin else [*s, self.token]

    def __call__(self, x: Any) -> Any:
        if _is_batch(x):
            return [self._one(s) for s in x]
        return self._one(x)


class VocabTransform:
    """Tokens to indices with a :class:`Vocab`.

    >>> from torsh_data.text import Vocab
    >>> VocabTransform(Vocab(["x", "y"]))(["y", "x"])
    [1, 0]
    """

    def __init__(self, vocab: Vocab) -> None:
        if not isinstance(vocab, Vocab):
            raise DataTypeError(f"VocabTransform needs a Vocab, not {type(vocab).__name__}")
        self.vocab = vocab

    def __call__(self, x: Any) -> Any:
        if type(x) is list and not (x and isinstance(x[0], _ROW)):  # NOTE [ One sample's tokens ]
            return self.vocab.lookup_indices(x)
        if _is_batch(x):
            return list(map(self.vocab.lookup_indices, x))
        return self.vocab.lookup_indices(x)


class PadTransform:
    """Pad (never truncate) each sequence at its end to ``max_length`` with ``pad_value``.

    >>> PadTransform(4, 0)([5, 6])
    [5, 6, 0, 0]
    """

    def __init__(self, max_length: int, pad_value: int | float | str) -> None:
        self.max_length = _check_length("max_length", max_length)
        self.pad_value = pad_value

    def _one(self, s: Any) -> Any:
        if isinstance(s, Tensor):
            return _pad_tensor_rows([s], self.max_length, self.pad_value)[0]
        s = list(s)
        return s + [self.pad_value] * (self.max_length - len(s))

    def __call__(self, x: Any) -> Any:
        if isinstance(x, Tensor) and x.ndim == 2:
            n = max(self.max_length, x.shape[1])
            return _pad_tensor_rows(list(x), n, self.pad_value, stack=True)
        if _is_batch(x):
            return [self._one(s) for s in x]
        return self._one(x)


def _pad_tensor_rows(rows: list[Tensor], length: int, value: Any, stack: bool = False) -> Any:
    out = []
    for r in rows:
        if r.ndim != 1:
            raise ShapeError(f"PadTransform pads 1-D sequences, got shape {r.shape}")
        pad = Tensor([value] * max(0, length - r.shape[0]), dtype=r.dtype)
        out.append(Tensor(r.tobytes() + pad.tobytes(), dtype=r.dtype))
    if stack:
        from ..tensor import stack as _stack

        return _stack(out)
    return out


class ToTensor:
    """Ids (or a batch of id lists) to an int64 :class:`Tensor`; a ragged batch is padded at
    the end with ``padding_value`` (``None``: a ragged batch is an error).

    >>> ToTensor(padding_value=-1)([[1, 2], [3]]).tolist()
    [[1, 2], [3, -1]]
    """

    def __init__(self, padding_value: int | None = None, dtype: Any = "int64") -> None:
        self.padding_value = padding_value
        self.dtype = _dtype.dtype(dtype)

    def __call__(self, x: Any) -> Tensor:
        if not _is_batch(x):
            return Tensor(list(x), dtype=self.dtype) if x else _empty(self.dtype, (0,))
        rows = [list(s.tolist() if isinstance(s, Tensor) else s) for s in x]
        longest = max(len(r) for r in rows)
        if self.padding_value is None:
            if any(len(r) != longest for r in rows):
                raise ShapeError(
                    "cannot make a tensor of sequences of different lengths "
                    f"{sorted({len(r) for r in rows})}; pass ToTensor(padding_value=...)"
                )
        else:
            rows = [r + [self.padding_value] * (longest - len(r)) for r in rows]
        if longest == 0:
            return _empty(self.dtype, (len(rows), 0))
        return Tensor(rows, dtype=self.dtype)


def _empty(dt: _dtype.DType, shape: tuple[int, ...]) -> Tensor:
    return Tensor._make(memoryview(bytearray()), dt, shape)


class Sequential:
    """Apply transforms in order.

    When the first transform is :func:`~torsh_data.text.basic_english`, the input may also
    be a batch of lines (a non-empty list of ``str``): each line is tokenized
    (:func:`~torsh_data.text.basic_english_batch`) and the rest of the transforms see the batch
    of token lists. ``basic_english`` followed by ``VocabTransform`` (with ``Truncate`` before
    or after it) runs as one step, in Pyodide a compiled kernel (NOTE [ The text kernel ] in
    ``torsh_data._wasm.text``); the ids are the same either way.

    >>> Sequential(Truncate(1), AddToken("<s>"))(["a", "b"])
    ['<s>', 'a']
    """

    def __init__(self, *transforms: Callable[[Any], Any]) -> None:
        for t in transforms:
            if not callable(t):
                raise DataTypeError(f"Sequential takes callables, not {type(t).__name__}")
        self.transforms = transforms
        self._steps = _fuse(transforms)

    def __call__(self, x: Any) -> Any:
        steps = self._steps
        if len(steps) == 1:  # a fused line-to-ids step: one call fewer per sample
            return steps[0](x)
        for t in steps:
            x = t(x)
        return x

    def __len__(self) -> int:
        return len(self.transforms)

    def __getitem__(self, i: int) -> Callable[[Any], Any]:
        return self.transforms[i]


class _LinesToIds:
    """A leading ``basic_english`` and the ``Truncate``/``VocabTransform`` after it (``steps``)
    as one step, on a line or a batch of lines: the kernel where it runs (NOTE [ The text
    kernel ]), else the steps. With no ``VocabTransform`` (``vocab`` None) it only takes
    batches of lines.

    Only the first ``keep`` tokens are looked up. That is ``Truncate``'s effect when it comes
    first; after ``VocabTransform`` (``strict``) it is the same unless an unknown token beyond
    ``keep`` must raise for want of a default index: then the steps run.
    """

    def __init__(self, steps: tuple[Any, ...], vocab: Vocab | None, keep: int, strict: bool):
        self.steps, self.vocab, self.keep, self.strict = steps, vocab, keep, strict

    def _pure(self, x: Any) -> Any:
        for t in self.steps:
            x = t(x)
        return x

    def _vocab(self) -> Vocab | None:
        """The vocabulary when the kernel may run (else None)."""
        v = self.vocab
        return None if v is None or (self.strict and v._default is None) else v

    def __call__(self, x: Any) -> Any:
        if type(x) is str:
            v = self._vocab()
            if v is None:
                return self._pure(x)
            found = encode_line(x, v._itos, v._default, self.keep)
            if found is not None:
                return found
            # the steps without their checks (NOTE [ One sample's tokens ]): tokens, cut, ids
            words = basic_english(x)
            del words[self.keep :]
            return v.lookup_indices(words)
        if not (type(x) in (list, tuple) and x and set(map(type, x)) == {str}):
            return self._pure(x)  # not a batch of lines: the steps say what is wrong
        v = self._vocab()
        batch = None if v is None else encode_lines(x, v._itos, v._default, self.keep)
        if batch is not None:  # None for each line the kernel left to the steps
            if None not in batch:
                return batch
            return [
                self._pure(line) if ids is None else ids for line, ids in zip(x, batch, strict=True)
            ]
        tokens = basic_english_batch(x)
        for t in self.steps[1:]:
            tokens = t(tokens)
        return tokens


def _fuse(transforms: tuple[Any, ...]) -> list[Any]:
    """``transforms`` with a leading ``basic_english`` and the ``Truncate``/``VocabTransform``
    after it as one :class:`_LinesToIds` step."""
    if not transforms or transforms[0] is not basic_english:
        return list(transforms)
    kinds = [type(t) for t in transforms[1:3]]
    for pattern in ([Truncate, VocabTransform], [VocabTransform, Truncate], [VocabTransform]):
        if kinds[: len(pattern)] == pattern:
            head = transforms[: 1 + len(pattern)]
            vocab = next(t.vocab for t in head if type(t) is VocabTransform)
            keep = next((t.max_seq_len for t in head if type(t) is Truncate), 2**63)
            strict = pattern[0] is VocabTransform and len(pattern) == 2
            if type(vocab) is Vocab:  # a subclass may look tokens up its own way
                return [_LinesToIds(head, vocab, keep, strict), *transforms[len(head) :]]
    return [_LinesToIds(transforms[:1], None, 0, False), *transforms[1:]]
