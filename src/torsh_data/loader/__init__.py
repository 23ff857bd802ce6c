"""The DataLoader, the executors that run it and the worker context datasets can read."""

from ._executor import Executor, SerialExecutor
from ._loader import DataLoader
from ._worker_info import WorkerInfo, get_worker_info
from ._workers import ProcessExecutor, WorkerError

__all__ = [
    "DataLoader",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "WorkerError",
    "WorkerInfo",
    "get_worker_info",
]
