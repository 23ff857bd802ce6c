"""The data loading of pytorch/examples@13caa078cd69:dcgan/main.py with its ``fake`` dataset.

torchvision's FakeData stands in as a Dataset of random images in [-1, 1] with a label;
``shuffle=True`` and ``num_workers`` workers; ``data[0].to(device)``, ``real_cpu.size(0)``,
``torch.full(..., dtype=real_cpu.dtype)`` and one discriminator/generator step per batch.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class FakeImages(Dataset):
    def __init__(self, size, image_size):
        self.size, self.image_size = size, image_size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        g = torch.Generator().manual_seed(index)
        img = torch.rand(3, self.image_size, self.image_size, generator=g) * 2 - 1
        return img, 0


def main():
    torch.manual_seed(999)
    device = torch.device("cpu")
    nz, image_size = 8, 16
    dataloader = DataLoader(FakeImages(40, image_size), batch_size=16, shuffle=True, num_workers=2)
    netD = nn.Sequential(nn.Flatten(), nn.Linear(3 * image_size**2, 1), nn.Sigmoid())
    netG = nn.Sequential(nn.Linear(nz, 3 * image_size**2), nn.Tanh())
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4)
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4)
    sizes = []
    for i, data in enumerate(dataloader, 0):  # noqa: B007 (the example's loop; i is used after it)
        netD.zero_grad()
        real_cpu = data[0].to(device)
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), 1.0, dtype=real_cpu.dtype, device=device)
        errD_real = criterion(netD(real_cpu).view(-1), label)
        errD_real.backward()
        noise = torch.randn(batch_size, nz, device=device)
        fake = netG(noise).view(batch_size, 3, image_size, image_size)
        label.fill_(0.0)
        errD_fake = criterion(netD(fake.detach()).view(-1), label)
        errD_fake.backward()
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        errG = criterion(netD(fake).view(-1), label)
        errG.backward()
        optG.step()
        sizes.append(batch_size)
    return {"sizes": sorted(sizes), "dtype": str(real_cpu.dtype), "batches": i + 1}


if __name__ == "__main__":
    print(main())
