"""torsh-data: one data pipeline, natively and in the browser.

The ``torch.utils.data`` model (Dataset -> Sampler -> collate -> DataLoader) in pure Python,
running unchanged on CPython and in Pyodide.

>>> import torsh_data as td
>>> ds = td.TensorDataset([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], [0, 1, 2])
>>> loader = td.DataLoader(ds, batch_size=2, shuffle=True, seed=0)
>>> [y.shape for _, y in loader]
[(2,), (1,)]
"""

from . import random
from ._capabilities import PerformanceMonitor, capabilities
from ._dtype import (
    DType,
    bool_,
    dtype,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._errors import (
    ArgumentError,
    BatchShapeError,
    CannotBlockError,
    CombineError,
    DataIndexError,
    DataTypeError,
    DataValueError,
    FormatError,
    MissingExtraError,
    SamplingError,
    ShapeError,
    SourceError,
    TorshDataError,
)
from ._exports import publish as _publish
from ._runtime import IN_BROWSER, IN_PYODIDE, runtime_name
from .collate import (
    Padded,
    collate,
    default_collate,
    default_collate_fn_map,
    default_convert,
    pad_collate,
    pad_sequence,
)
from .datasets import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    ShardByRank,
    StackDataset,
    Subset,
    TensorDataset,
    TransformDataset,
    random_split,
)
from .loader import (
    DataLoader,
    Executor,
    ProcessExecutor,
    SerialExecutor,
    WorkerError,
    WorkerInfo,
    get_worker_info,
)
from .samplers import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .splits import stratified_split, train_test_split
from .tensor import Tensor, arange, full, stack, tensor, zeros

__version__ = "0.1.0"

__all__ = [
    "IN_BROWSER",
    "IN_PYODIDE",
    "ArgumentError",
    "BatchSampler",
    "BatchShapeError",
    "CannotBlockError",
    "ChainDataset",
    "CombineError",
    "ConcatDataset",
    "DType",
    "DataIndexError",
    "DataLoader",
    "DataTypeError",
    "DataValueError",
    "Dataset",
    "DistributedSampler",
    "Executor",
    "FormatError",
    "IterableDataset",
    "MissingExtraError",
    "Padded",
    "PerformanceMonitor",
    "ProcessExecutor",
    "RandomSampler",
    "Sampler",
    "SamplingError",
    "SequentialSampler",
    "SerialExecutor",
    "ShapeError",
    "ShardByRank",
    "SourceError",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "Tensor",
    "TensorDataset",
    "TorshDataError",
    "TransformDataset",
    "WeightedRandomSampler",
    "WorkerError",
    "WorkerInfo",
    "arange",
    "bool_",
    "capabilities",
    "collate",
    "default_collate",
    "default_collate_fn_map",
    "default_convert",
    "dtype",
    "float16",
    "float32",
    "float64",
    "full",
    "get_worker_info",
    "int8",
    "int16",
    "int32",
    "int64",
    "pad_collate",
    "pad_sequence",
    "random",
    "random_split",
    "runtime_name",
    "stack",
    "stratified_split",
    "tensor",
    "train_test_split",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "zeros",
]

_publish(globals())
