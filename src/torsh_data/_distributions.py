"""Normal and Laplace draws from a seeded stream, the same bits on every runtime.

NOTE [ Exact draws ]: ``math.log``, ``math.sin`` and ``math.cos`` come from the platform's C
library, which may round the last bit differently (glibc natively, musl in Pyodide, FMA or
not). So the draws here use only IEEE-exact operations (``+ - * /``, ``sqrt``, ``frexp``):
normals by Marsaglia's polar method, Laplace by inversion, both with :func:`_log`, a natural
logarithm written in that arithmetic (within a few ulp of ``math.log``). Samplers, noise
transforms and privacy mechanisms use these, so seeded noise is identical natively, in
Pyodide and in any worker.

>>> from torsh_data.random import Generator
>>> len(normals(Generator(0), 5)), normals(Generator(0), 3) == normals(Generator(0), 3)
(5, True)
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["dirichlet", "gammas", "laplaces", "normals"]

_LN2 = 0.6931471805599453
_SQRT_HALF = 0.7071067811865476


def _log(x: float) -> float:
    """Natural logarithm of ``x > 0`` from IEEE-exact operations only."""
    m, e = math.frexp(x)  # x = m * 2**e, 0.5 <= m < 1
    if m < _SQRT_HALF:
        m, e = m * 2.0, e - 1
    z = (m - 1.0) / (m + 1.0)  # |z| <= 0.1716: log(m) = 2 atanh(z)
    z2 = z * z
    s = 1.0 / 23.0
    for k in (21.0, 19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0):
        s = 1.0 / k + z2 * s
    return 2.0 * z * s + e * _LN2


def normals(gen: Any, n: int, mean: float = 0.0, std: float = 1.0) -> list[float]:
    """``n`` draws of ``N(mean, std**2)`` from ``gen`` (any stream with ``random()``)."""
    out: list[float] = []
    rand = gen.random
    while len(out) < n:
        u, v = 2.0 * rand() - 1.0, 2.0 * rand() - 1.0
        s = u * u + v * v
        if s >= 1.0 or s == 0.0:
            continue
        f = math.sqrt(-2.0 * _log(s) / s)
        out.append(mean + std * u * f)
        out.append(mean + std * v * f)
    del out[n:]
    return out


def laplaces(gen: Any, n: int, loc: float = 0.0, scale: float = 1.0) -> list[float]:
    """``n`` draws of Laplace(``loc``, ``scale``) (density ``exp(-|x - loc| / scale) / 2scale``)."""
    out: list[float] = []
    rand = gen.random
    while len(out) < n:
        u = rand() - 0.5  # in [-0.5, 0.5)
        if u == -0.5:
            continue
        a = 1.0 - 2.0 * abs(u)  # in (0, 1]
        out.append(loc - scale * _log(a) if u >= 0 else loc + scale * _log(a))
    return out


def _exp(x: float) -> float:
    """``e**x`` from IEEE-exact operations only (``x = k ln2 + r``, a Taylor series in ``r``)."""
    if x > 709.0:
        return math.inf
    if x < -745.0:
        return 0.0
    k = math.floor(x / _LN2 + 0.5)
    r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10  # ln2 in two parts: |r| <= ln2/2
    s = 1.0
    for n in range(17, 0, -1):
        s = 1.0 + r * s / n
    return math.ldexp(s, int(k))


def gammas(gen: Any, n: int, shape: float) -> list[float]:
    """``n`` draws of Gamma(``shape``, 1) by Marsaglia and Tsang (2000); for ``shape < 1``,
    ``Gamma(shape + 1) * U**(1 / shape)``."""
    if shape < 1.0:
        return [g * _exp(_log(1.0 - gen.random()) / shape) for g in gammas(gen, n, shape + 1.0)]
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    out: list[float] = []
    while len(out) < n:
        (z,) = normals(gen, 1)
        v = 1.0 + c * z
        if v <= 0.0:
            continue
        v = v * v * v
        u = 1.0 - gen.random()
        if _log(u) < 0.5 * z * z + d - d * v + d * _log(v):
            out.append(d * v)
    return out


def dirichlet(gen: Any, alphas: list[float]) -> list[float]:
    """One draw from Dirichlet(``alphas``) (normalised Gamma draws)."""
    g = [gammas(gen, 1, a)[0] for a in alphas]
    total = math.fsum(g)
    if total == 0.0:  # every draw underflowed (tiny alphas): all mass on the largest alpha
        g = [1.0 if a == max(alphas) else 0.0 for a in alphas]
        total = math.fsum(g)
    return [v / total for v in g]
