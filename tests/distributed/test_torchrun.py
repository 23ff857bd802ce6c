"""A real torchrun job on this machine: every rank gets a disjoint share, the union is all."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import needs_torch


@pytest.mark.native_only(reason="starts torchrun processes")
@needs_torch
def test_torchrun_two_ranks(tmp_path: Path) -> None:
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    assert torchrun, "torch is installed but its torchrun script is not beside this Python"
    job = Path(__file__).with_name("torchrun_job.py")
    proc = subprocess.run(
        [torchrun, "--nproc_per_node=2", "--master_port=29531", str(job), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert [r["sampler"] for r in ranks] == [[2, 0], [2, 1]]
    a, b = ranks[0]["mapped"], ranks[1]["mapped"]
    assert len(a) == len(b) == 52  # 103 padded to 104
    assert set(a) | set(b) == set(range(103))
    assert len(set(a) & set(b)) == 1  # the one padding index
    s0, s1 = ranks[0]["streamed"], ranks[1]["streamed"]
    assert not set(s0) & set(s1)
    assert sorted(s0 + s1) == list(range(101))
