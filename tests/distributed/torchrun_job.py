"""Run under ``torchrun --nproc_per_node=2``: each rank writes what it loaded to OUT_DIR.

Map-style: DistributedSampler reads rank and world size from the initialised gloo group.
Iterable: ShardByRank splits the stream by rank, the loader's 2 workers split each share.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator

import torch.distributed as dist

import torsh_data as td


class Numbers(td.IterableDataset):
    def __iter__(self) -> Iterator[int]:
        return iter(range(101))


def main(out_dir: str) -> None:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    ds = td.TensorDataset(td.arange(103))
    sampler = td.DistributedSampler(ds, shuffle=True, seed=3)  # rank/world from torch.distributed
    sampler.set_epoch(1)
    mapped = [v for (b,) in td.DataLoader(ds, batch_size=8, sampler=sampler) for v in b.tolist()]
    streamed = [
        v
        for b in td.DataLoader(td.ShardByRank(Numbers()), batch_size=5, num_workers=2, seed=1)
        for v in b.tolist()
    ]
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(
            {
                "rank": rank,
                "world": world,
                "sampler": [sampler.num_replicas, sampler.rank],
                "mapped": mapped,
                "streamed": streamed,
            },
            f,
        )
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
