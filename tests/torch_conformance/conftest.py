"""The torch conformance suite: every test runs twice, with only the data module swapped.

The ``tud`` fixture is the module a torch program imports its data API from:
``torch.utils.data`` (the control: every test must pass there) and ``torsh_data`` (the
subject). A test of a deviation we keep on purpose (docs/TORCH_COMPAT.md) carries
``@pytest.mark.torsh_xfail(reason=...)``: its ``torsh_data`` run is a strict xfail (an
unexpected pass fails, so the mark goes when the deviation does) and its torch run must pass
as usual.

torch is not in Pyodide and not installed for every native Python, so each test module skips
itself with ``pytest.importorskip`` and is marked ``native_only``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

BACKENDS = ("torch.utils.data", "torsh_data")

# The example programs import torch at the top; the tests run them (--doctest-modules must not).
collect_ignore_glob = ["programs/*.py"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "torsh_xfail(reason): strict xfail for the torsh_data run only (the torch run must pass)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("torsh_xfail")
        if marker is None:
            continue
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else None)
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: torsh_xfail needs a reason")
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("tud") == "torsh_data":
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.fixture(params=BACKENDS, ids=["torch", "torsh"])
def tud(request: pytest.FixtureRequest) -> ModuleType:
    """``torch.utils.data`` or ``torsh_data``: the only thing that differs between the runs."""
    return importlib.import_module(request.param)
