"""The browser's scaler (``transforms._scale`` in a page), run by ``tests/runtimes/images.test.mjs``.

Prints one JSON object: per case, the shape and dtype ``fast_resize`` gave (or ``null`` when
it declined) and the largest and mean difference from the float64 reference
(``scale_reference.py``). Natively (``python scale_checks.py``) it runs Pillow's twin.
"""

from __future__ import annotations

import json
import random

from scale_reference import resize as reference  # beside this script: on sys.path

from torsh_data import Tensor
from torsh_data._runtime import runtime_name
from torsh_data.transforms._scale import fast_resize

#: name -> (height, width, channels (0: an HW image), opaque, (out height, width), antialias)
CASES = {
    "rgb_reduce_aa": (64, 48, 3, True, (40, 30), True),
    "rgb_enlarge": (20, 30, 3, True, (50, 61), False),
    "rgb_enlarge_aa": (20, 30, 3, True, (37, 45), True),
    "grey_hw_reduce_aa": (40, 40, 0, True, (17, 23), True),
    "grey_hwc1_enlarge": (9, 13, 1, True, (18, 26), False),
    "rgba_opaque": (30, 30, 4, True, (45, 45), False),
    "rgba_translucent": (30, 30, 4, False, (45, 45), False),
}


def image(h: int, w: int, c: int, opaque: bool, rnd: random.Random) -> Tensor:
    """Smooth content (a gradient with a little noise), as photographs are."""
    k = c or 1
    data = bytearray(
        (x * 5 + y * 3 + ch * 40 + rnd.randrange(12)) % 256
        for y in range(h)
        for x in range(w)
        for ch in range(k)
    )
    if c == 4:
        data[3::4] = bytes([255 if opaque else 128]) * (h * w)
    return Tensor(bytes(data), shape=(h, w, c) if c else (h, w))


def main() -> None:
    rnd = random.Random(3)
    out: dict[str, object] = {"runtime": runtime_name()}
    for name, (h, w, c, opaque, size, antialias) in CASES.items():
        img = image(h, w, c, opaque, rnd)
        got = fast_resize(img, size, antialias)
        if got is None:
            out[name] = None
            continue
        want = reference(img.tobytes(), (h, w, c or 1), size, antialias)
        diffs = [abs(a - b) for a, b in zip(got.tobytes(), want, strict=True)]
        out[name] = {
            "shape": list(got.shape),
            "want_shape": [*size, *img.shape[2:]],
            "dtype": got.dtype.name,
            "max_diff": max(diffs),
            "mean_diff": round(sum(diffs) / len(diffs), 3),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
