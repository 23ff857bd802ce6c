"""The exceptions of torsh-data.

Every error the package raises derives from :class:`TorshDataError`, and each leaf also
derives from the builtin a caller would already catch. This is the one drawing of the whole
tree (``tests/test_api.py`` checks it against every exception class the package exports, so
a new one that is not drawn here fails); the builtins a class adds to its parent's are in
parentheses, and the subpackage that exports a class is named where it is not
``torsh_data``::

    TorshDataError          (Exception)
    ├── DataValueError      (ValueError)   a value is out of range or inconsistent
    │   ├── ShapeError      (RuntimeError) tensors or sequences whose shapes do not fit
    │   │   └── BatchShapeError            samples too unlike to collate, as torch raises
    │   ├── FormatError                    malformed, truncated or hostile input data
    │   ├── ArgumentError   (TypeError)    a constructor argument of the wrong type or value
    │   ├── CombineError    (TypeError, AssertionError)  datasets that cannot be combined
    │   ├── SamplingError   (RuntimeError) weights that cannot be sampled as asked
    │   └── PassphraseError                an encrypted cache's passphrase is wrong: io
    ├── DataTypeError       (TypeError)    an object of a kind that is not supported
    ├── DataIndexError      (IndexError)   an index outside a dataset or tensor
    ├── SourceError         (OSError)      a file, URL or stream could not be read
    │   ├── HTTPError                      a response whose status is not a success: io
    │   ├── NetworkError                   the connection failed or dropped: io
    │   ├── CORSError                      the browser refused a cross-origin response: io
    │   ├── IntegrityError                 bytes whose sha256 is not the expected one: io
    │   ├── FetchTimeoutError (TimeoutError)  a request over its timeout: io
    │   ├── FetchCancelledError            a request cancelled by its token: io
    │   └── HTMLResponseError              an HTML page where data was expected: io
    ├── CannotBlockError    (RuntimeError) a synchronous call would have to wait on a promise
    ├── MissingExtraError   (ImportError)  an optional dependency is not installed
    ├── WorkerError         (RuntimeError) a loader worker raised, died or timed out
    └── PrivacyBudgetExceeded (RuntimeError)  a query over the budget left: privacy

NOTE [ Errors where torch raises ]: where ``torch.utils.data`` raises a different builtin for
the same mistake, ours derives from that builtin too, so code written against torch catches
it: torch's argument checks raise ``ValueError`` or ``TypeError`` depending on the class
(:class:`ArgumentError` is both), its dataset combinators ``assert``
(:class:`CombineError` is an ``AssertionError``), and shape mismatches while stacking and
invalid sampling weights surface as ``RuntimeError`` (:class:`ShapeError`,
:class:`SamplingError`). Messages keep torch's key words and add the fix.

>>> from torsh_data import TensorDataset, TorshDataError
>>> try:
...     TensorDataset()
... except ValueError as e:
...     isinstance(e, TorshDataError)
True
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "BatchShapeError",
    "CannotBlockError",
    "CombineError",
    "DataIndexError",
    "DataTypeError",
    "DataValueError",
    "FormatError",
    "MissingExtraError",
    "SamplingError",
    "ShapeError",
    "SourceError",
    "TorshDataError",
]


class TorshDataError(Exception):
    """Base class of every exception raised by torsh-data (the tree is drawn in the
    docstring of ``torsh_data._errors``)."""


class DataValueError(TorshDataError, ValueError):
    """A value is invalid: out of range, inconsistent with another, or malformed."""


class ShapeError(DataValueError, RuntimeError):
    """Shapes that must agree do not (stacking, collating, reshaping); torch raises
    ``RuntimeError`` there, so this is one too."""


class BatchShapeError(ShapeError, RuntimeError):
    """Samples whose tensors or sequences differ in shape or length, so they cannot be collated
    into one batch; a ``RuntimeError`` too, which is what torch's ``default_collate`` raises."""


class FormatError(DataValueError):
    """Input data that is malformed, truncated, inconsistent or hostile.

    The message names the source (file, URL or ``<bytes>``), where in it (record number or
    byte offset) and what was wrong; the same facts are attributes.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        record: int | str | None = None,
        offset: int | None = None,
    ) -> None:
        where = [
            w
            for w in (
                source,
                None if record is None else f"record {record}",
                None if offset is None else f"byte {offset}",
            )
            if w is not None
        ]
        super().__init__(f"{': '.join(where)}: {message}" if where else message)
        self.source, self.record, self.offset, self.reason = source, record, offset, message

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_format_error, (self.reason, self.source, self.record, self.offset))


def _rebuild_format_error(
    reason: str, source: str | None, record: int | str | None, offset: int | None
) -> FormatError:
    return FormatError(reason, source=source, record=record, offset=offset)


class SourceError(TorshDataError, OSError):
    """A file, URL or stream that could not be read (missing, denied, network)."""


class CannotBlockError(TorshDataError, RuntimeError):
    """A synchronous call that would have to wait for asynchronous work where the runtime
    cannot block: Pyodide without JSPI (WebKit/Safari, Node.js without its flag), or inside a
    running event loop. The message names the asynchronous call to use instead."""


class DataTypeError(TorshDataError, TypeError):
    """An object of a type torsh-data does not accept in that place."""


class DataIndexError(TorshDataError, IndexError):
    """An index outside the bounds of a dataset or tensor."""


class ArgumentError(DataValueError, DataTypeError):
    """An argument of the wrong type or out of range. torch raises ``ValueError`` for some of
    these and ``TypeError`` for others (``RandomSampler(replacement=0)``), so this is both."""


class CombineError(DataValueError, DataTypeError, AssertionError):
    """Datasets that cannot be combined: an iterable one in ``ConcatDataset``, a map-style one
    in ``ChainDataset``, tensors of different lengths in ``TensorDataset``. torch checks
    these with ``assert``, so this is an ``AssertionError`` as well."""


class SamplingError(DataValueError, RuntimeError):
    """Weights that cannot be sampled as asked (negative, all zero, too few for a draw
    without replacement); torch's ``multinomial`` raises ``RuntimeError`` there."""


class MissingExtraError(TorshDataError, ImportError):
    """An optional dependency is needed and not installed; the message says what to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs {package}, which is not installed: pip install 'torsh-data[{extra}]'"
        )
        self.package = package
        self.extra = extra
