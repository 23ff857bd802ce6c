"""The data loading of pytorch/examples@cd01f93000a6:vae/main.py on generated images.

Images in [0, 1] from a Dataset subclass (torchvision's MNIST + ToTensor), labels ignored,
``shuffle=True``, ``data.to(device)``, ``data.size(0)`` and ``torch.cat`` of the first
test batch with its reconstruction, as the example does to save a comparison image.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Images(Dataset):
    def __init__(self, n, seed):
        self.data = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i], i % 10


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc, self.mu, self.logvar = nn.Linear(784, 32), nn.Linear(32, 4), nn.Linear(32, 4)
        self.dec1, self.dec2 = nn.Linear(4, 32), nn.Linear(32, 784)

    def forward(self, x):
        h = F.relu(self.enc(x.view(-1, 784)))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.dec2(F.relu(self.dec1(z)))), mu, logvar


def main():
    torch.manual_seed(1)
    device = torch.device("cpu")
    batch_size = 32
    train_loader = DataLoader(Images(96, 0), batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(Images(40, 1), batch_size=batch_size, shuffle=False)
    model = VAE().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_loss = 0.0
    for batch_idx, (data, _) in enumerate(train_loader):  # noqa: B007 (used after the loop)
        data = data.to(device)
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        bce = F.binary_cross_entropy(recon, data.view(-1, 784), reduction="sum")
        loss = bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    shapes = []
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon, _, _ = model(data)
            if i == 0:
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n], recon.view(data.size(0), 1, 28, 28)[:n]])
                shapes.append(list(comparison.shape))
    return {
        "avg_loss_finite": train_loss / len(train_loader.dataset) < float("inf"),
        "comparison": shapes,
        "batches": batch_idx + 1,
    }


if __name__ == "__main__":
    print(main())
