"""Shared test setup: runtime markers and Hypothesis profiles.

The same files run natively and inside Pyodide (under Node.js and in Chromium). A test that
cannot run on one runtime says why with ``@pytest.mark.native_only(reason=...)``; one that
blocks on a JavaScript promise from synchronous code (``asyncio.run`` of a coroutine awaiting
``fetch``, IndexedDB or Web Workers; a plain ``for`` over a Web Worker loader) is marked
``@pytest.mark.needs_jspi(reason=...)`` and skipped where Pyodide has no JSPI (WebKit/Safari;
``pyrun.mjs --no-jspi``). A coroutine that waits only on Python runs everywhere through
``support.run``.
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from support import TORCH_REASON, has_module

IN_PYODIDE = sys.platform == "emscripten"


NO_JSPI = (
    "no JSPI here (WebKit/Safari; Node.js without --experimental-wasm-stack-switching), so "
    "Python cannot wait for a promise from synchronous code"
)


def _cannot_block() -> bool:
    from torsh_data._runtime import can_block

    return IN_PYODIDE and not can_block()


# Scripts run by other tests or by hand, not test modules (--doctest-modules would import them).
collect_ignore = [
    "pyodide_pytest.py",
    "distributed/torchrun_job.py",
    "io/server.py",
    "text/make_fixtures.py",
    "text/make_extras_fixtures.py",
    "runtimes/probe.py",
    "runtimes/smoke.py",
]

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "pyodide", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pyodide" if IN_PYODIDE else "default"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "native_only(reason): needs what Pyodide cannot do; the reason says what"
    )
    config.addinivalue_line(
        "markers", "pyodide_only(reason): exercises Pyodide itself; the reason says why"
    )
    config.addinivalue_line(
        "markers",
        "needs_jspi(reason): blocks on a JavaScript promise; skipped in Pyodide without JSPI",
    )
    config.addinivalue_line(
        "markers", "no_jspi_only(reason): checks the refusal where Pyodide has no JSPI"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cannot_block = _cannot_block()
    for item in items:
        for name, skip_here, where in (
            ("native_only", IN_PYODIDE, "not in Pyodide"),
            ("pyodide_only", not IN_PYODIDE, "Pyodide only"),
            ("needs_jspi", cannot_block, NO_JSPI),
            ("no_jspi_only", not cannot_block, "only in Pyodide without JSPI"),
        ):
            marker = item.get_closest_marker(name)
            if marker is None:
                continue
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else None)
            if not reason:
                raise pytest.UsageError(f"{item.nodeid}: {name} needs a reason")
            if skip_here:
                item.add_marker(pytest.mark.skip(reason=f"{where}: {reason}"))


@pytest.fixture(params=["torch", "random"])
def seed_globally(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A function seeding the global generator that default seeds come from (NOTE [ Default
    seeds ]): torch's, with torch imported, or :mod:`random`'s, with torch hidden."""
    if request.param == "torch":
        if not has_module("torch"):
            pytest.skip(TORCH_REASON)
        import torch

        return lambda s: torch.manual_seed(s) and None
    monkeypatch.setitem(sys.modules, "torch", None)
    return random.seed
