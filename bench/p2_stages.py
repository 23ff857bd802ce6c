"""One P2 batch, stage by stage, and the bulk operations it is made of.

    PYTHONPATH=src .venv/bin/python bench/p2_stages.py [--json] [--repeat N] [--only a,b]
    PYTHONPATH=src .venv/bin/python bench/wasm_ratio.py --engines chromium bench/p2_stages.py

Each figure is the best of ``--repeat`` timings of one batch of 64 28x28 uint8 images
(``RandomCrop(28, padding=2)``, ``RandomHorizontalFlip()``, ``ToTensor()``, ``Normalize``),
given as ``samples_per_s`` so that ``wasm_ratio.py`` prints each one's WebAssembly ÷ native
ratio: which operations lose most in WebAssembly. ``bound`` is the issue's hand-written
batch-wise P2 (only C-level bulk calls, random draws not included); ``kernels`` the
library's batch path on the same batch: each step's kernel (``crop``, ``flip``,
``totensor_normalize``, all three in turn as ``unfused``) and the fused step ``Compose``
makes of them (``fused``, draws included; in Pyodide its WebAssembly kernel, NOTE
[ WebAssembly kernels ]), ``fused_pure`` the same without WebAssembly kernels and
``fused_after_draws`` the fused step less its draws (the kernel alone where there is one);
``lifted`` the whole batch as a loader makes it (NOTE [ Lifted pipelines ]): the fetch,
the streams and the fused step, from a bare ``Tensor`` of images (``tensor``, what
``bench_p2_js.mjs`` loads) and from a ``TensorDataset`` of images and labels
(``tensor_dataset``, what ``bench_pipelines.py`` loads); ``ops`` single operations on buffers
of a batch's size (copies, ``translate``, strided assignment).
"""

from __future__ import annotations

import argparse
import array
import itertools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import p2_idx

from torsh_data import TransformDataset, _wasm, formats, transforms
from torsh_data._wasm import image as wasm_image
from torsh_data.random import SampleStreams, randbelow_each, random_each, sample_generators
from torsh_data.transforms._compose import run_steps
from torsh_data.transforms._fused import crop_flip

MEAN, STD = 0.1307, 0.3081
N, H, W, PAD = 64, 28, 28, 2  # P2's batch: RandomCrop(28, padding=2) of 28x28


def best(fn: Callable[[], Any], repeat: int) -> float:
    """The shortest time of one call, from ``repeat`` timings of enough calls to span ten
    milliseconds (a browser's clock is coarse, and may stand still for a while)."""
    fn()
    inner, t0 = 1, time.perf_counter()
    while time.perf_counter() - t0 < 1e-2:
        fn()
        inner += 1
    out = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        took = time.perf_counter() - t0
        if took > 0:
            out = min(out, took / inner)
    return out


def tables() -> tuple[bytes, ...]:
    """The four translate tables of ToTensor + Normalize (the library's own, same bits)."""
    fused = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    return fused._steps[0]._channel_tables(1)(0)  # type: ignore[no-any-return]


def bound(src: bytes, ks: list[int], flips: list[bool], t4: tuple[bytes, ...]) -> bytearray:
    """P2 hand-written batch-wise with only C-level bulk calls, the issue's prototype in the
    form NOTE [ Strip crops ] gives it: one slice per crop (whole rows, shifted), the columns
    that wrapped round filled, the flipped images mirrored by strided column swaps, one join
    to put them back in order, four translates into the float32 output."""
    size = H * W
    order = sorted(range(N), key=lambda i: (flips[i], ks[i] % 5))
    parts: list[Any] = []
    for i in order:
        top, left = divmod(ks[i], 5)
        dy, dx = top - PAD, left - PAD
        r0, r1 = max(dy, 0), min(dy + H, H)
        if dy < 0:
            parts.append(bytes(-dy * W))
        start = i * size + r0 * W + dx
        stop = start + (r1 - r0) * W
        if start < 0:
            parts.append(bytes(-start))
        parts.append(src[max(start, 0) : stop])
        if stop > len(src):
            parts.append(bytes(stop - len(src)))
        if dy > 0:
            parts.append(bytes(dy * W))
    strips = bytearray().join(parts)
    first = 0
    for (_, left), run in itertools.groupby((flips[i], ks[i] % 5) for i in order):
        count = len(list(run))
        dx = left - PAD
        for col in [*range(-dx), *range(W - dx, W)]:
            strips[first * size + col : (first + count) * size : W] = bytes(count * H)
        first += count
    split = (N - sum(flips)) * size
    for col in range(W // 2):
        a, z = split + col, split + W - 1 - col
        strips[a::W], strips[z::W] = strips[z::W], strips[a::W]
    where = [0] * N
    for pos, i in enumerate(order):
        where[i] = pos * size
    view = memoryview(strips)
    dense = b"".join([view[s : s + size] for s in where])
    out = bytearray(4 * len(dense))
    for k in range(4):
        out[k::4] = dense.translate(t4[k])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeat", type=int, default=25)
    ap.add_argument("--only", default="", help="comma-separated name prefixes to time")
    args = ap.parse_args()
    r = args.repeat
    images, labels = p2_idx(4096)
    ds = formats.idx_dataset(images, labels)
    x = ds.__getbatch__(list(range(N)))[0]
    src = bytes(x._data)
    gens0 = sample_generators(0, 0, list(range(N)))
    ks = randbelow_each(list(gens0), 25)
    flips = [u < 0.5 for u in random_each(gens0)]
    t4 = tables()
    crop = transforms.RandomCrop(28, padding=2)
    flip = transforms.RandomHorizontalFlip()
    tn = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    pipe = transforms.Compose([crop, flip, transforms.ToTensor(), transforms.Normalize(MEAN, STD)])

    def fresh() -> list[Any]:
        return sample_generators(0, 0, list(range(N)))

    cropped = crop.kernel(x, fresh())
    flipped = flip.kernel(cropped, fresh())
    big = bytes(4 * len(src))
    buf = bytearray(4 * len(src))
    steps = pipe._steps[0].parts[:2] + tn._steps

    def draws() -> Any:
        g = fresh()
        return randbelow_each(g, 25), random_each(g)

    def fused_pure() -> Any:
        with _wasm.disabled():
            return pipe.kernel(x, fresh())

    geometry = ((N, H, W, 1), (PAD,) * 4, (H, W))

    def after_draws() -> Any:
        """The fused step's work once its windows and flips are drawn."""
        found = wasm_image.crop_flip(src, *geometry, 5, ks, flips, b"\0", [t4])
        if found is not None:
            return found
        data = crop_flip(src, *geometry, [divmod(k, 5) for k in ks], flips, b"\0")
        out = bytearray(4 * len(data))
        for k in range(4):
            out[k::4] = bytes(data).translate(t4[k])
        return out

    spread = list(range(0, 64 * 61, 61))  # a shuffled batch's rows are far apart
    streams = SampleStreams(0, 0)
    bare = TransformDataset(formats.read_idx(images), pipe)
    paired = TransformDataset(ds, pipe)

    stages: dict[str, Callable[[], Any]] = {
        "bound/batch": lambda: bound(src, ks, flips, t4),
        "kernels/fetch": lambda: ds.__getbatch__(list(range(N))),
        "kernels/streams": fresh,
        "kernels/streams_and_draws": draws,
        "kernels/crop": lambda: crop.kernel(x, fresh()),
        "kernels/flip": lambda: flip.kernel(cropped, fresh()),
        "kernels/totensor_normalize": lambda: tn.kernel(flipped, fresh()),
        "kernels/unfused": lambda: run_steps(steps, x, fresh()),
        "kernels/fused": lambda: pipe.kernel(x, fresh()),
        "kernels/fused_pure": fused_pure,
        "kernels/fused_after_draws": after_draws,
        "lifted/tensor": lambda: bare.__getbatch__(spread, streams),
        "lifted/tensor_dataset": lambda: paired.__getbatch__(spread, streams),
        "ops/copy_200k": lambda: bytes(buf),
        "ops/bytearray_200k": lambda: bytearray(len(big)),
        "ops/slice_200k": lambda: big[1:],
        "ops/join_64x3k": lambda: b"".join([big[i : i + 3136] for i in range(0, len(big), 3136)]),
        "ops/translate_50k": lambda: src.translate(t4[0]),
        "ops/strided_50k_into_200k": lambda: buf.__setitem__(slice(0, None, 4), src),
        "ops/reverse_50k": lambda: src[::-1],
        "ops/array_frombytes_200k": lambda: array.array("f", big),
    }
    expect = pipe.kernel(x, fresh())
    got = bound(src, ks, flips, t4)
    if bytes(expect._data) != bytes(got) or bytes(after_draws()) != bytes(got):
        sys.exit("bound() or after_draws() does not give the library's bytes")
    only = tuple(p for p in args.only.split(",") if p)
    chosen = {k: fn for k, fn in stages.items() if not only or k.startswith(only)}
    out = {name: {"samples_per_s": N / best(fn, r)} for name, fn in chosen.items()}
    print(
        json.dumps(out)
        if args.json
        else "\n".join(f"{k:32} {v['samples_per_s']:>12,.0f}" for k, v in out.items())
    )


if __name__ == "__main__":
    main()
