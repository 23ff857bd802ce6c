"""The data loading of pytorch/examples@f15fac72e011:mnist/main.py on generated digits.

A Dataset subclass stands in for torchvision's MNIST (ToTensor + Normalize done with torch
ops); train and test loaders with shuffle, a worker and pin_memory as the example passes
them; ``data.to(device)`` and a few optimizer steps; ``len(train_loader.dataset)``.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Digits(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.images = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g)
        self.targets = torch.randint(0, 10, (n,), generator=g)

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        img = self.images[index].float().div(255).unsqueeze(0)  # ToTensor
        img = (img - 0.1307) / 0.3081  # Normalize
        return img, int(self.targets[index])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, 2)
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        return F.log_softmax(self.fc(torch.flatten(x, 1)), dim=1)


def main():
    torch.manual_seed(1)
    device = torch.device("cpu")
    train_kwargs = {"batch_size": 64, "num_workers": 1, "pin_memory": False, "shuffle": True}
    test_kwargs = {"batch_size": 100}
    train_loader = DataLoader(Digits(256, 0), **train_kwargs)
    test_loader = DataLoader(Digits(200, 1), **test_kwargs)
    model = Net().to(device)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    seen, losses = 0, []
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):  # noqa: B007 (used after the loop)
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        seen += len(data)
        losses.append(loss.item())
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            pred = model(data).argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return {
        "train_seen": seen,
        "train_size": len(train_loader.dataset),
        "batches": batch_idx + 1,
        "finite": all(x == x for x in losses),
        "test_counted": 0 <= correct <= len(test_loader.dataset),
    }


if __name__ == "__main__":
    print(main())
