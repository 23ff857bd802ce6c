"""P4, the real image pipeline, vs torch the way torchvision does it internally.

    python bench/bench_p4.py [--quick] [--json] [--torch] [--stages] [--images N]
    python bench/wasm_ratio.py bench_p4.py --quick --images 64 [--stages]   # native, Node.js, Chromium

256×256 RGB images, PNG and JPEG, → decode → ``RandomResizedCrop(224)`` → random horizontal
flip → ``ToTensor`` → ``Normalize`` (ImageNet mean/std) → batches of 32, one full epoch (the
best of a few), in ``torsh_data.DataLoader`` (``num_workers=0``). The peer (``--torch``) is
``torch.utils.data.DataLoader(num_workers=0)`` over what torchvision runs inside: Pillow decode,
``pil_to_tensor`` (``torch.as_tensor(np.array(im))``), torchvision's crop parameters, the crop
resized by ``F.interpolate(mode="bilinear", antialias=True)`` on uint8, ``flip``, ``/ 255``,
normalise (torchvision does not import here: its C operators fail to register). torch runs
with one intra-op thread, as in its DataLoader workers and as torsh-data computes (on this
shared two-core machine its default two threads ran the per-image work ten times slower).

The data is made here, the same on every runtime where it can be: 16 different images
(a gradient with noise, each with its own colour table), PNG by this file's own encoder
(filter Sub, zlib level 6); JPEG (quality 90, 4:2:0) by Pillow natively, by the browser's
canvas (``convertToBlob``) in a page, and not at all under Node.js (no encoder there).

torsh-data decodes in the pipeline's first step, ``io.DecodeImage("RGB")``, which fuses with
``RandomResizedCrop(224, exact=False)`` (NOTE [ Decoding only the crop ]): the window is drawn
from the header's size, then natively ``decode_image`` (Pillow's C code for both formats where
installed) and the runtime's scaler (``transforms._scale.fast_resize``); in a browser page one
``createImageBitmap`` call decodes, crops and scales (waited for through JSPI); under Node.js
the pure-Python PNG decoder. (Before ``DecodeImage`` existed the dataset decoded and a
bench-local stand-in cropped when ``RandomResizedCrop`` was missing; the ``pipeline``,
``decoder`` and ``plan`` fields say what ran.) Also printed: decode images/s per path
(``decode``), one image at a time, and with ``--stages`` each stage's images/s on one batch
(``stage_rates``). ``--json`` prints the figures as JSON (leaves named ``samples_per_s``,
which ``wasm_ratio.py`` divides).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import random
import struct
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import torsh_data as td
from torsh_data import Tensor, transforms
from torsh_data._runtime import can_block, run_blocking, runtime_name
from torsh_data.formats import decode_image
from torsh_data.io import browser_decoding, decode_image_async
from torsh_data.random import sample_generator
from torsh_data.transforms._scale import fast_resize

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
SIDE, CROP, BATCH, DISTINCT = 256, 224, 32, 16
SCALE, RATIO = (0.08, 1.0), (3 / 4, 4 / 3)


# --- data ---------------------------------------------------------------------------------
def pixels(seed: int) -> bytes:
    """A 256×256 RGB gradient with noise, recoloured by a per-image table (bulk ``translate``)."""
    rnd = random.Random(seed)
    noise = rnd.randbytes(SIDE * SIDE)
    base = bytearray(3 * SIDE * SIDE)
    ramp = bytes(range(SIDE))
    for y in range(SIDE):
        row = slice(3 * SIDE * y, 3 * SIDE * (y + 1))
        line = bytearray(3 * SIDE)
        line[0::3] = bytes((x + y) % 256 for x in range(SIDE))
        line[1::3] = bytes([(2 * y) % 256]) * SIDE
        line[2::3] = ramp[::-1]
        base[row] = line
    base[0::3] = bytes(map(lambda a, b: (a + (b & 15)) % 256, base[0::3], noise))
    table = bytes((v * (1 + seed % 3) + 17 * seed) % 256 for v in range(256))
    return bytes(base).translate(table)


def encode_png(rgb: bytes) -> bytes:
    stride = 3 * SIDE
    rows = []
    for y in range(SIDE):
        raw = rgb[y * stride : (y + 1) * stride]
        left = bytes(3) + raw[:-3]
        rows.append(b"\x01" + bytes(map(lambda a, b: (a - b) % 256, raw, left)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", SIDE, SIDE, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"".join(rows), 6)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def encode_jpeg(rgb: bytes) -> bytes | None:
    """Quality 90: Pillow natively, the canvas in a browser, None elsewhere."""
    try:
        from PIL import Image
    except ImportError:
        if not browser_decoding():
            return None
        return run_blocking(_canvas_jpeg(rgb), operation="JPEG encoding", alternative="-")
    out = io.BytesIO()
    Image.frombytes("RGB", (SIDE, SIDE), rgb).save(out, "JPEG", quality=90)
    return out.getvalue()


async def _canvas_jpeg(rgb: bytes) -> bytes:
    from torsh_data._ffi import js_object, to_bytes, to_uint8array
    from torsh_data._runtime import js_module

    js = js_module()
    rgba = bytearray(b"\xff") * (4 * SIDE * SIDE)
    for k in range(3):
        rgba[k::4] = rgb[k::3]
    canvas = js.OffscreenCanvas.new(SIDE, SIDE)
    data = js.Uint8ClampedArray.new(to_uint8array(rgba).buffer)
    canvas.getContext("2d").putImageData(js.ImageData.new(data, SIDE, SIDE), 0, 0)
    blob = await canvas.convertToBlob(js_object(type="image/jpeg", quality=0.9))
    return to_bytes(js.Uint8Array.new(await blob.arrayBuffer()))


# --- torsh-data ---------------------------------------------------------------------------
def decoder() -> tuple[str, Callable[[bytes, str], Tensor]]:
    """The fastest decoder this runtime has, and its name."""
    if browser_decoding() and can_block():

        def browser(data: bytes, name: str) -> Tensor:
            coro = decode_image_async(data, name=name, mode="RGB")
            return run_blocking(coro, operation="decoding", alternative="decode_image_async")

        return "browser (createImageBitmap, run_blocking)", browser
    return "decode_image", lambda data, name: decode_image(data, name=name, mode="RGB")


class ResizedCropStandIn(transforms.Transform):
    """torchvision's ``RandomResizedCrop`` parameters from the sample's stream, the crop by
    slices and the runtime's scaler: a stand-in until ``transforms.RandomResizedCrop``."""

    def __call__(self, img: Tensor) -> Tensor:
        h, w, c = img.shape
        top, left, ch, cw = crop_params(sample_generator(), h, w)
        rows = img._data.tobytes()
        crop = b"".join(
            rows[(top + r) * w * c + left * c : (top + r) * w * c + (left + cw) * c]
            for r in range(ch)
        )
        cropped = Tensor._make(memoryview(crop), img.dtype, (ch, cw, c))
        out = fast_resize(cropped, (CROP, CROP), True)
        return out if out is not None else transforms.Resize((CROP, CROP), "bilinear")(cropped)


def crop_params(rng: Any, height: int, width: int) -> tuple[int, int, int, int]:
    """torchvision's ``RandomResizedCrop.get_params`` (ten tries, then a centre crop)."""
    area = height * width
    log_lo, log_hi = math.log(RATIO[0]), math.log(RATIO[1])
    for _ in range(10):
        target = area * (SCALE[0] + (SCALE[1] - SCALE[0]) * rng.random())
        aspect = math.exp(log_lo + (log_hi - log_lo) * rng.random())
        w = round(math.sqrt(target * aspect))
        h = round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            return int(rng.random() * (height - h + 1)), int(rng.random() * (width - w + 1)), h, w
    side = min(height, width)
    return (height - side) // 2, (width - side) // 2, side, side


def resized_crop() -> tuple[str, Any]:
    real = getattr(transforms, "RandomResizedCrop", None)
    if real is not None:
        return "RandomResizedCrop(224, exact=False)", real(CROP, exact=False)
    return "stand-in (torchvision's draws, fast_resize)", ResizedCropStandIn()


class Files(td.Dataset[Any]):
    """The encoded files; decoded here (``decode=True``) or by the pipeline's first step."""

    def __init__(self, files: list[bytes], n: int, ext: str, decode: bool) -> None:
        self.files, self.n, self.ext = files, n, ext
        self.name, self.decode = decoder()
        self.decode_here = decode

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        data = self.files[i % len(self.files)]
        return self.decode(data, f"{i}.{self.ext}") if self.decode_here else data


def decode_step() -> Any:
    """``io.DecodeImage("RGB")`` (the pipeline's first step, fused with the crop), or None
    where it does not exist yet."""
    step = getattr(td.io, "DecodeImage", None)
    return None if step is None else step("RGB")


def torsh_loader(files: list[bytes], n: int, ext: str) -> tuple[Any, dict[str, str]]:
    name, crop = resized_crop()
    first = decode_step()
    steps = [crop, transforms.RandomHorizontalFlip(), transforms.ToTensor()]
    pipeline = transforms.Compose(
        [*([first] if first is not None else []), *steps, transforms.Normalize(MEAN, STD)]
    )
    source = Files(files, n, ext, decode=first is None)
    ds = td.TransformDataset(source, pipeline)
    loader = td.DataLoader(ds, batch_size=BATCH, shuffle=True, seed=0)
    plan = "; ".join(transforms.kernel_plan(pipeline))
    decoding = source.name if first is None else "DecodeImage('RGB') in the pipeline"
    return loader, {"pipeline": name, "decoder": decoding, "plan": plan}


# --- torch, as torchvision does it --------------------------------------------------------
def torch_loader(files: list[bytes], n: int) -> Any:
    import numpy as np
    import torch
    import torch.nn.functional as F
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset

    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)

    class TorchFiles(Dataset):  # type: ignore[type-arg]
        def __len__(self) -> int:
            return n

        def __getitem__(self, i: int) -> Any:
            with Image.open(io.BytesIO(files[i % len(files)])) as im:
                im = im.convert("RGB")  # decode (torchvision's pil_loader)
            x = torch.as_tensor(np.array(im, copy=True)).permute(2, 0, 1)  # pil_to_tensor
            top, left, h, w = crop_params(TorchRandom(), x.shape[1], x.shape[2])
            x = F.interpolate(
                x[None, :, top : top + h, left : left + w],
                size=(CROP, CROP),
                mode="bilinear",
                align_corners=False,
                antialias=True,
            )[0]
            if torch.rand(1) < 0.5:
                x = x.flip(-1)
            return (x.float() / 255 - mean) / std

    torch.manual_seed(0)
    torch.set_num_threads(1)  # as in torch's own DataLoader workers; torsh-data uses one core
    return DataLoader(TorchFiles(), batch_size=BATCH, shuffle=True, num_workers=0)


class TorchRandom:
    """``random()`` from torch's global generator, as torchvision draws its parameters."""

    def random(self) -> float:
        import torch

        return float(torch.empty(1).uniform_(0, 1).item())


# --- timing -------------------------------------------------------------------------------
def epoch(loader: Iterable[Any], repeat: int) -> dict[str, float]:
    """The best images/s of ``repeat`` full epochs (the machine is shared)."""
    best = 0.0
    for _ in range(repeat):
        t0, n = time.perf_counter(), 0
        for batch in loader:
            n += len(batch)
        best = max(best, n / (time.perf_counter() - t0))
    return {"samples_per_s": round(best, 1)}


def decode_rates(files: list[bytes], ext: str, seconds: float) -> dict[str, Any]:
    """Images/s of each decoding path this runtime has, one image at a time."""
    paths: dict[str, Callable[[bytes], Any]] = {}
    if ext == "png":
        paths["python"] = lambda d: decode_image(d, backend="python")
    try:
        decode_image(files[0])
        paths["decode_image"] = decode_image  # Pillow's C code natively where installed
    except td.MissingExtraError:
        pass
    if browser_decoding() and can_block():

        def browser(d: bytes) -> Any:
            return asyncio.run(decode_image_async(d, backend="browser"))

        paths["browser"] = browser
    out: dict[str, Any] = {}
    for name, fn in paths.items():
        fn(files[0])
        n, t0 = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < seconds:
            fn(files[n % len(files)])
            n += 1
        out[name] = {"samples_per_s": round(n / elapsed, 1)}
    out["fastest"] = {"samples_per_s": max(v["samples_per_s"] for v in out.values())}
    return out


def _rate(fn: Callable[[], int], seconds: float) -> dict[str, float]:
    """Images/s of ``fn`` (which handles and returns a number of images), run for ``seconds``."""
    fn()
    n, t0 = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        n += fn()
    return {"samples_per_s": round(n / elapsed, 1)}


def stage_rates(files: list[bytes], ext: str, seconds: float) -> dict[str, Any]:
    """Images/s of each stage of the loader's pipeline on one batch, one stage at a time: the
    per-sample decode (``decode``, as ``Files`` does it), the crop and resize (``crop_resize``,
    split into ``crop`` and ``scale``), collation of the resized images (``stack``) and the
    batch steps after it (``flip_tensor_normalize``, the fused batch kernel the loader runs);
    ``decode_crop_resize`` is ``DecodeImage`` and the crop as the one step they fuse into
    (NOTE [ Decoding only the crop ]), which the loader runs in their place."""
    from torsh_data.random import sample_generators
    from torsh_data.tensor import stack
    from torsh_data.transforms import apply_kernels
    from torsh_data.transforms._pixels import crop

    _, decode = decoder()
    names = [f"{i}.{ext}" for i in range(BATCH)]
    data = [files[i % len(files)] for i in range(BATCH)]
    images = [decode(d, nm) for d, nm in zip(data, names, strict=True)]
    _, rrc = resized_crop()
    tail = transforms.Compose(
        [transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize(MEAN, STD)]
    )
    gens = sample_generators(0, 0, range(BATCH))
    params = [crop_params(random.Random(i), SIDE, SIDE) for i in range(BATCH)]
    crops = [
        Tensor._make(
            memoryview(crop(im._data, 1, SIDE, SIDE, 3, *box)), im.dtype, (box[2], box[3], 3)
        )
        for im, box in zip(images, params, strict=True)
    ]
    resized = [rrc(im) for im in images]
    first = decode_step()
    fused = None if first is None else transforms.Compose([first, rrc])
    batch = stack(resized)

    def run(fn: Callable[[], Any], count: int = BATCH) -> Callable[[], int]:
        return lambda: (fn(), count)[1]

    stages: dict[str, Callable[[], int]] = {
        "decode": run(lambda: [decode(d, nm) for d, nm in zip(data, names, strict=True)]),
        "crop_resize": run(lambda: [rrc._one(im, g) for im, g in zip(images, gens, strict=True)]),
        **(
            {"decode_crop_resize": run(lambda: [fused(d) for d in data])}
            if fused is not None
            else {}
        ),
        "crop": run(
            lambda: [
                crop(im._data, 1, SIDE, SIDE, 3, *b) for im, b in zip(images, params, strict=True)
            ]
        ),
        "scale": run(lambda: [fast_resize(c, (CROP, CROP), True) for c in crops]),
        "stack": run(lambda: stack(resized)),
        "flip_tensor_normalize": run(lambda: apply_kernels(tail, batch, gens)),
    }
    return {name: _rate(fn, seconds) for name, fn in stages.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="fewer images and epochs")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--torch", action="store_true", help="also run the torch peer")
    ap.add_argument("--stages", action="store_true", help="also time each stage on one batch")
    ap.add_argument("--images", type=int, help="images per epoch (default 512, --quick 128)")
    args = ap.parse_args()
    n, repeat, seconds = (128, 2, 1.0) if args.quick else (512, 3, 3.0)
    n = args.images or n
    raw = [pixels(seed) for seed in range(DISTINCT)]
    formats: dict[str, list[bytes] | None] = {"png": [encode_png(p) for p in raw]}
    jpegs = [encode_jpeg(p) for p in raw]
    formats["jpeg"] = None if any(j is None for j in jpegs) else [j for j in jpegs if j]
    out: dict[str, Any] = {"runtime": runtime_name(), "images": n, "batch": BATCH}
    for ext, files in formats.items():
        if files is None:
            out[ext] = {"skipped": "no JPEG encoder here (needs Pillow or a browser)"}
            continue
        loader, info = torsh_loader(files, n, ext)
        case: dict[str, Any] = {**info, "bytes_per_file": sum(map(len, files)) // len(files)}
        case["torsh"] = epoch(loader, repeat)
        if args.torch:
            peer = torch_loader(files, n)
            case["torch"] = epoch(peer, repeat)
            case["ratio"] = round(
                case["torsh"]["samples_per_s"] / case["torch"]["samples_per_s"], 2
            )
        case["decode"] = decode_rates(files, ext, seconds)
        if args.stages:
            case["stages"] = stage_rates(files, ext, seconds / 2)
        out[ext] = case
    if args.json:
        print(json.dumps(out))
        return
    native = out["runtime"] == "cpython"  # Pyodide's os.getloadavg is not the machine's
    load = f", load average {os.getloadavg()[0]:.2f}" if native else ""
    print(f"P4 on {out['runtime']}: {n} images of {SIDE}×{SIDE}, batches of {BATCH}{load}")
    for ext in formats:
        case = out[ext]
        if "skipped" in case:
            print(f"{ext}: skipped ({case['skipped']})")
            continue
        line = f"{ext}: torsh {case['torsh']['samples_per_s']:,.0f} images/s"
        if "torch" in case:
            line += f", torch {case['torch']['samples_per_s']:,.0f}, ratio {case['ratio']}×"
        print(f"{line}  [{case['pipeline']}; decoder {case['decoder']}]")
        rates = ", ".join(f"{k} {v['samples_per_s']:,.0f}" for k, v in case["decode"].items())
        print(f"  decode images/s: {rates}")
        if "stages" in case:
            rates = ", ".join(f"{k} {v['samples_per_s']:,.0f}" for k, v in case["stages"].items())
            print(f"  stages images/s (one batch of {BATCH}): {rates}")


if __name__ == "__main__":
    sys.exit(main())
