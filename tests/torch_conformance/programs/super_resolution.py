"""The data loading of pytorch/examples@6238eb6ae8d0:super_resolution/main.py and
@d034f9d4cc2f:super_resolution/dataset.py on generated images.

``DatasetFromFolder`` becomes a Dataset subclass whose ``__getitem__`` makes an (input,
target) pair with torch ops (a downscaled luminance input, the full-size target);
``num_workers``/``batch_size``/``shuffle`` as the example, ``batch[0].to(device)``,
``batch[1].to(device)`` and an MSE step per batch, then the PSNR loop over a test loader.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset


class DatasetFromImages(Dataset):
    def __init__(self, n, crop, factor, seed):
        self.images = torch.rand(n, 1, crop, crop, generator=torch.Generator().manual_seed(seed))
        self.factor = factor

    def __getitem__(self, index):
        target = self.images[index]
        small = F.interpolate(target.unsqueeze(0), scale_factor=1 / self.factor, mode="area")
        return small.squeeze(0), target.clone()

    def __len__(self):
        return len(self.images)


class Net(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.conv = nn.Conv2d(1, factor**2, 3, padding=1)
        self.shuffle = nn.PixelShuffle(factor)

    def forward(self, x):
        return self.shuffle(self.conv(x))


def main():
    torch.manual_seed(123)
    device = torch.device("cpu")
    factor = 2
    train_set, test_set = DatasetFromImages(24, 16, factor, 0), DatasetFromImages(8, 16, factor, 1)
    training_data_loader = DataLoader(dataset=train_set, num_workers=1, batch_size=4, shuffle=True)
    testing_data_loader = DataLoader(dataset=test_set, num_workers=1, batch_size=4, shuffle=False)
    model = Net(factor).to(device)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    epoch_loss = 0.0
    for iteration, batch in enumerate(training_data_loader, 1):  # noqa: B007 (used after the loop)
        input, target = batch[0].to(device), batch[1].to(device)
        optimizer.zero_grad()
        loss = criterion(model(input), target)
        epoch_loss += loss.item()
        loss.backward()
        optimizer.step()
    avg_psnr = 0.0
    with torch.no_grad():
        for batch in testing_data_loader:
            input, target = batch[0].to(device), batch[1].to(device)
            mse = criterion(model(input), target)
            avg_psnr += 10 * math.log10(1 / mse.item())
    return {
        "iterations": iteration,
        "input_shape": list(input.shape),
        "psnr_finite": math.isfinite(avg_psnr / len(testing_data_loader)),
    }


if __name__ == "__main__":
    print(main())
