"""Tabular data: a features-and-target dataset, scikit-learn-style preprocessing, seeded
synthetic data, the small classic datasets, and records (CSV rows) as feature and label
tensors (:func:`records_to_tensors`).

Scalers are the transforms' :class:`~torsh_data.transforms.Standardize` and
:class:`~torsh_data.transforms.MinMaxScale` under scikit-learn's names (``fit``,
``transform``, ``fit_transform``, ``inverse_transform``): fitted statistics are exact float64
sums, the same on every runtime, and serialise with ``state_dict()``.

>>> from torsh_data.tabular import StandardScaler, load_builtin_dataset
>>> iris = load_builtin_dataset("iris")
>>> scaler = StandardScaler().fit(iris.data)
>>> [round(m, 3) for m in scaler.mean]
[5.843, 3.057, 3.758, 1.199]
>>> scaler.transform(iris.data).shape
(150, 4)
"""

from .._exports import publish as _publish
from ..transforms import MinMaxScale as MinMaxScaler
from ..transforms import Standardize as StandardScaler
from ._builtin import BUILTIN_DATASETS, fetch_builtin_dataset, load_builtin_dataset
from ._dataset import TabularDataset
from ._encoders import LabelEncoder, OneHotEncoder
from ._impute import SimpleImputer
from ._rows import FeatureRow, collate_feature_rows, feature_row, records_to_tensors
from ._selection import SelectKBest, VarianceThreshold, f_classif, f_regression
from ._synthetic import make_blobs, make_classification, make_regression

__all__ = [
    "BUILTIN_DATASETS",
    "FeatureRow",
    "LabelEncoder",
    "MinMaxScaler",
    "OneHotEncoder",
    "SelectKBest",
    "SimpleImputer",
    "StandardScaler",
    "TabularDataset",
    "VarianceThreshold",
    "collate_feature_rows",
    "f_classif",
    "f_regression",
    "feature_row",
    "fetch_builtin_dataset",
    "load_builtin_dataset",
    "make_blobs",
    "make_classification",
    "make_regression",
    "records_to_tensors",
]

_publish(globals())
