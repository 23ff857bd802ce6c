"""Fetching and caching bytes: the same API natively and in the browser (Pyodide).

- :func:`fetch_bytes` / :func:`iter_fetch`: HTTP(S) downloads with progress, timeout,
  cancellation, retries with backoff, ``Range`` spans and resume, sha256 checks and a cache.
  ``urllib`` in a worker thread natively; the JavaScript ``fetch`` in Pyodide.
- :class:`Cache`: a verified, size-bounded byte cache; a directory natively, IndexedDB in a
  browser; with ``passphrase=``, encrypted at rest (AES-GCM; :class:`PassphraseError`).
- :func:`decode_image_async`: images decoded by the browser's own decoders when there is a
  browser, else in Python; :class:`AsyncMapDataset` puts such async work in a pipeline;
  :class:`DecodeImage` decodes as a pipeline step (only the crop before a fast
  ``RandomResizedCrop``: :func:`decode_resized_crop`, :func:`image_size`).
- :class:`ShardedDataset`: a progressive dataset of shards listed by a manifest
  (:func:`load_manifest`, :func:`expand_braces`), loaded in the background with ``progress``;
  ``torsh-data pack`` writes the shards and the manifest.
- :class:`StreamingDataset`: the records of any byte source (:func:`iter_source`: a URL, a
  path or file, a browser ``File``/``Blob``/``ReadableStream``, an async iterable), parsed
  incrementally by the format's reader (:func:`reader_for`) in bounded memory;
  :func:`open_dataset` picks it or a :class:`ShardedDataset`.

The errors are :class:`~torsh_data.SourceError` subclasses (the tree is drawn in
``torsh_data._errors``).
"""

from .._exports import publish as _publish
from ._amap import AsyncMapDataset
from ._crypto import PassphraseError
from ._decode_step import DecodeImage
from ._http import (
    CORSError,
    FetchCancelledError,
    FetchTimeoutError,
    HTMLResponseError,
    HTTPError,
    IntegrityError,
    NetworkError,
)
from ._images import (
    browser_decoding,
    decode_image_async,
    decode_images_async,
    decode_resized_crop,
    image_size,
)
from ._manifest import Manifest, Shard, expand_braces, load_manifest
from ._readers import reader_for
from ._shards import ShardedDataset
from ._sources import iter_source
from ._streaming import StreamingDataset, open_dataset
from .cache import Cache
from .fetch import CancelToken, fetch_bytes, iter_fetch

__all__ = [
    "AsyncMapDataset",
    "CORSError",
    "Cache",
    "CancelToken",
    "DecodeImage",
    "FetchCancelledError",
    "FetchTimeoutError",
    "HTMLResponseError",
    "HTTPError",
    "IntegrityError",
    "Manifest",
    "NetworkError",
    "PassphraseError",
    "Shard",
    "ShardedDataset",
    "StreamingDataset",
    "browser_decoding",
    "decode_image_async",
    "decode_images_async",
    "decode_resized_crop",
    "expand_braces",
    "fetch_bytes",
    "image_size",
    "iter_fetch",
    "iter_source",
    "load_manifest",
    "open_dataset",
    "reader_for",
]

_publish(globals())
