"""The DataLoader, the executors that run it and the worker context datasets can read."""

from .._exports import publish as _publish
from .._worker_info import WorkerInfo, get_worker_info
from ._executor import Executor, SerialExecutor
from ._helpers import optimal_worker_count, pin_memory
from ._loader import DataLoader
from ._pool import WorkerError
from ._saved_state import restore_state, save_state
from ._webworkers import WebWorkerExecutor
from ._workers import ProcessExecutor

__all__ = [
    "DataLoader",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "WebWorkerExecutor",
    "WorkerError",
    "WorkerInfo",
    "get_worker_info",
    "optimal_worker_count",
    "pin_memory",
    "restore_state",
    "save_state",
]

_publish(globals())
