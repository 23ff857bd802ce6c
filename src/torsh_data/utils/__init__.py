"""Helpers for the code around a pipeline: argument checks, progress, timing, statistics.

>>> from torsh_data.utils import RunningStats, validate_probability
>>> validate_probability("p", 0.25)
0.25
>>> s = RunningStats()
>>> s.update_many([1.0, 3.0])
>>> s.mean, s.std()
(2.0, 1.0)
"""

from .._exports import publish as _publish
from ._perf import MemoryTracker, StatisticsCollector, Timer
from ._progress import ProgressTracker, track
from ._stats import RunningStats
from ._validate import (
    validate_extension,
    validate_path,
    validate_positive,
    validate_probability,
    validate_range,
    validate_same_length,
    validate_shape,
)

__all__ = [
    "MemoryTracker",
    "ProgressTracker",
    "RunningStats",
    "StatisticsCollector",
    "Timer",
    "track",
    "validate_extension",
    "validate_path",
    "validate_positive",
    "validate_probability",
    "validate_range",
    "validate_same_length",
    "validate_shape",
]

_publish(globals())
