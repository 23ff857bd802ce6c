"""Data-loading programs modelled on pytorch/examples, run as written for torch and again
with only the import swapped: ``torch.utils.data`` -> ``torsh_data``.

Each program in ``programs/`` names the example it follows (``pytorch/examples@<commit>:
<path>``) and uses generated data and torch ops where the example downloads a torchvision
dataset. A program returns facts about its run (samples seen, batch shapes, finite losses);
both runs must give the expected facts.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

torch = pytest.importorskip(
    "torch", reason="the conformance suite compares with torch, which is not installed here"
)

from conformance_support import native  # noqa: E402

pytestmark = native

PROGRAMS = Path(__file__).with_name("programs")


def source_for(name: str, backend: str) -> str:
    """The program's source, with the import swapped for the ``torsh_data`` run."""
    text = (PROGRAMS / f"{name}.py").read_text()
    if backend == "torsh_data":
        text = text.replace("torch.utils.data.distributed", "torsh_data")
        text = text.replace("torch.utils.data", "torsh_data")
        assert "torch.utils.data" not in text
    return text


def run_in_process(name: str, backend: str, *args: Any) -> Any:
    mod_name = f"conformance_program_{name}_{backend.replace('.', '_')}"
    spec = importlib.util.spec_from_loader(mod_name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # workers and pickling find its classes
    try:
        exec(
            compile(source_for(name, backend), str(PROGRAMS / f"{name}.py"), "exec"),
            module.__dict__,
        )
        return module.main(*args)
    finally:
        del sys.modules[mod_name]


def test_mnist(tud: ModuleType) -> None:
    """pytorch/examples@f15fac72e011:mnist/main.py"""
    facts = run_in_process("mnist", tud.__name__)
    assert facts == {
        "train_seen": 256,
        "train_size": 256,
        "batches": 4,
        "finite": True,
        "test_counted": True,
    }


def test_vae(tud: ModuleType) -> None:
    """pytorch/examples@cd01f93000a6:vae/main.py"""
    facts = run_in_process("vae", tud.__name__)
    assert facts == {"avg_loss_finite": True, "comparison": [[16, 1, 28, 28]], "batches": 3}


def test_dcgan(tud: ModuleType) -> None:
    """pytorch/examples@13caa078cd69:dcgan/main.py"""
    facts = run_in_process("dcgan", tud.__name__)
    assert facts == {"sizes": [8, 16, 16], "dtype": "torch.float32", "batches": 3}


def test_super_resolution(tud: ModuleType) -> None:
    """pytorch/examples@6238eb6ae8d0:super_resolution/main.py"""
    facts = run_in_process("super_resolution", tud.__name__)
    assert facts == {"iterations": 6, "input_shape": [4, 1, 8, 8], "psnr_finite": True}


def test_mnist_hogwild(tud: ModuleType) -> None:
    """pytorch/examples@61176010ea6c:mnist_hogwild/main.py"""
    facts = run_in_process("mnist_hogwild", tud.__name__)
    assert facts == {"exitcodes": [0, 0], "seen": [(0, 64), (1, 64)]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")
@pytest.mark.filterwarnings("ignore:pin_memory. no accelerator")
def test_ddp_tutorial_multigpu(tud: ModuleType, tmp_path: Path) -> None:
    """pytorch/examples@f62b4aec7bff:distributed/ddp-tutorial-series/multigpu.py (gloo, 2 ranks)"""
    run_in_process("ddp_multigpu", tud.__name__, free_port(), str(tmp_path))
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert [r["b_sz"] for r in ranks] == [4, 4]
    for epoch in range(2):
        a, b = ranks[0]["seen"][epoch], ranks[1]["seen"][epoch]
        assert len(a) == len(b) == 15
        assert sorted(a + b) == list(range(30))  # disjoint shares covering the dataset
    assert ranks[0]["seen"][0] != ranks[0]["seen"][1]  # set_epoch reshuffles
