"""Samplers: iterables of dataset indices (or of index batches), seeded and resumable.

The ``torch.utils.data`` samplers keep their semantics; the others choose by labels
(stratified, grouped), by length or budget (bucket, adaptive batches), by scores that change
during training (importance, adaptive, curriculum, active learning), by Poisson subsampling
(differential privacy) or pick federated clients. Every random sampler takes a ``seed``; its
order for an epoch is a function of ``(seed, epoch)`` and of what ``state_dict()`` holds, so
it is the same on every runtime and after a resume. ``RandomSampler`` and the others move to
the next epoch each time they are iterated (a new order each pass, as in torch);
``DistributedSampler`` stays on its epoch until ``set_epoch`` is called, as in torch, so that
every rank agrees; :class:`DistributedSamplerWrapper` gives a rank its share of any sampler.

>>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
[[0, 1], [2, 3], [4]]
>>> s = RandomSampler(range(4), seed=0)
>>> sorted(s) == [0, 1, 2, 3]
True
"""

from .._exports import publish as _publish
from ._basic import (
    BatchSampler,
    DistributedSampler,
    DistributedSamplerWrapper,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    class_balanced_weights,
)
from ._batching import AdaptiveBatchSampler, BucketBatchSampler, PoissonBatchSampler
from ._grouped import GroupedSampler, StratifiedSampler, apportion, group_indices
from ._scored import AdaptiveSampler, CurriculumSampler, ImportanceSampler
from ._selection import ActiveLearningSampler, ClientSampler, uncertainty_scores

__all__ = [
    "ActiveLearningSampler",
    "AdaptiveBatchSampler",
    "AdaptiveSampler",
    "BatchSampler",
    "BucketBatchSampler",
    "ClientSampler",
    "CurriculumSampler",
    "DistributedSampler",
    "DistributedSamplerWrapper",
    "GroupedSampler",
    "ImportanceSampler",
    "PoissonBatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StratifiedSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "apportion",
    "class_balanced_weights",
    "group_indices",
    "uncertainty_scores",
]

_publish(globals())
