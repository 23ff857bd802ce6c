"""The data loading of pytorch/examples@f62b4aec7bff:distributed/ddp-tutorial-series/multigpu.py
and @f45e418444b5:distributed/ddp-tutorial-series/datautils.py, on CPU with gloo.

``MyTrainDataset`` (random tensors), ``DataLoader(..., pin_memory=True, shuffle=False,
sampler=DistributedSampler(dataset))``, ``len(next(iter(loader))[0])``,
``loader.sampler.set_epoch(epoch)`` and ``source.to(device)`` in two ranks started by
``torch.multiprocessing`` (the tutorial's ``mp.spawn``, with fork here: a spawned rank
would spend seconds importing torch again, so each rank first limits torch to one thread:
torch's thread pool does not survive a fork, pytorch issue 53565). Gradients are averaged with ``all_reduce``
where the tutorial wraps the model in DDP, whose import alone takes seconds here; the data
path is the tutorial's. Each rank writes the indices it saw per epoch to a JSON file.
"""

import json
import os
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler


class MyTrainDataset(Dataset):
    def __init__(self, size):
        self.size = size
        self.data = [(torch.full((20,), float(i)), torch.rand(1)) for i in range(size)]

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        return self.data[index]


def run(rank, world_size, port, out_dir):
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    dataset = MyTrainDataset(30)
    train_data = DataLoader(
        dataset, batch_size=4, pin_memory=True, shuffle=False, sampler=DistributedSampler(dataset)
    )
    model = torch.nn.Linear(20, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    b_sz = len(next(iter(train_data))[0])
    seen = []
    for epoch in range(2):
        train_data.sampler.set_epoch(epoch)
        epoch_seen = []
        for source, targets in train_data:
            source, targets = source.to("cpu"), targets.to("cpu")
            optimizer.zero_grad()
            loss = F.mse_loss(model(source), targets)
            loss.backward()
            for p in model.parameters():
                dist.all_reduce(p.grad)
                p.grad /= world_size
            optimizer.step()
            epoch_seen += [int(v) for v in source[:, 0].tolist()]
        seen.append(epoch_seen)
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump({"b_sz": b_sz, "seen": seen}, f)
    dist.destroy_process_group()


def main(port, out_dir):
    mp.start_processes(run, args=(2, port, out_dir), nprocs=2, start_method="fork")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
