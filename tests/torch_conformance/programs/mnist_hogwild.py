"""The data loading of pytorch/examples@61176010ea6c:mnist_hogwild/main.py and
@41ae197f894c:mnist_hogwild/train.py on generated digits.

A model in shared memory trained by several processes at once; each process seeds torch
with ``seed + rank`` and builds its own shuffling DataLoader over the same dataset, with the
example's CPU arguments (no loader workers), as ``train.py`` does. The example starts its
processes with spawn; fork here keeps the run in-process and fast, so each process first
limits torch to one thread (torch's thread pool does not survive a fork, pytorch issue 53565).
"""

import torch
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Digits(Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 1, 28, 28, generator=g)
        self.y = torch.randint(0, 10, (n,), generator=g)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def train(rank, seed, model, dataset, dataloader_kwargs, out):
    torch.set_num_threads(1)
    torch.manual_seed(seed + rank)
    train_loader = DataLoader(dataset, **dataloader_kwargs)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    seen = 0
    for data, target in train_loader:
        optimizer.zero_grad()
        loss = F.nll_loss(F.log_softmax(model(data.view(-1, 784)), dim=1), target)
        loss.backward()
        optimizer.step()
        seen += data.size(0)
    out.put((rank, seen))


def main():
    ctx = mp.get_context("fork")
    model = nn.Linear(784, 10)
    model.share_memory()
    dataset = Digits(64)
    kwargs = {"batch_size": 16, "shuffle": True}
    out = ctx.Queue()
    processes = []
    for rank in range(2):
        p = ctx.Process(target=train, args=(rank, 1, model, dataset, kwargs, out))
        p.start()
        processes.append(p)
    for p in processes:
        p.join(60)
    results = sorted(out.get(timeout=5) for _ in range(2) if not out.empty())
    return {"exitcodes": [p.exitcode for p in processes], "seen": results}


if __name__ == "__main__":
    print(main())
