"""Build the JupyterLite site of tests/runtimes/notebook.test.mjs, offline.

Run by tools/jupyterlite/setup.sh with the Python of its own virtual environment (which holds
jupyterlite-core, jupyterlite-pyodide-kernel and jupyter_server, tools/jupyterlite/requirements.txt):

    python tools/jupyterlite/build.py --wheels DIR --torsh-wheel dist/torsh_data-*.whl --out DIR

What the site loads comes from this machine only, nothing from a CDN:
- Pyodide is node_modules/pyodide (npm), put where the kernel addon looks for it (static/pyodide);
- npm's Pyodide ships no packages, so the pure wheels the kernel loads (micropip, IPython, comm,
  ... from PyPI, tools/jupyterlite/kernel-wheels.txt) go beside it, and the site's copy of
  pyodide-lock.json names their files and sha256 (and lists the two it lacks);
- the kernel never falls back to PyPI (``disablePyPIFallback``); torsh-data's wheel is bundled
  with ``--piplite-wheels``, so ``%pip install torsh-data`` finds it in the site.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
KERNEL = "@jupyterlite/pyodide-kernel-extension:kernel"
# Pyodide's files the kernel's worker loads (no console pages, source maps or type files).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")


def _wasm_environment() -> dict[str, str]:
    """Marker values of Pyodide 314 (CPython 3.14 on Emscripten), for wheels' Requires-Dist."""
    env = dict(default_environment())
    env.update(
        sys_platform="emscripten",
        platform_system="Emscripten",
        platform_machine="wasm32",
        os_name="posix",
        python_version="3.14",
        python_full_version="3.14.2",
        implementation_name="cpython",
        platform_python_implementation="CPython",
    )
    return env


def _requires(wheel: Path) -> list[str]:
    """The distributions ``wheel`` needs in Pyodide (its Requires-Dist, without extras)."""
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(z.read(name).decode())
    env, out = _wasm_environment(), []
    for line in meta.get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({**env, "extra": ""}):
            out.append(canonicalize_name(req.name))
    return out


def patched_lock(lock: dict, wheels: list[Path]) -> dict:
    """``lock`` with an entry per wheel (file name, version, sha256, dependencies) from it."""
    lock = json.loads(json.dumps(lock))
    packages = lock["packages"]
    for wheel in wheels:
        name, version, _, _ = parse_wheel_filename(wheel.name)
        old = packages.get(name, {})
        packages[name] = {
            **old,
            "name": str(name),
            "version": str(version),
            "file_name": wheel.name,
            "install_dir": "site",
            "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "package_type": "package",
            "imports": old.get("imports", []),
            "depends": [],
            "unvendored_tests": False,
            "shared_library": False,
        }
    for wheel in wheels:
        name = parse_wheel_filename(wheel.name)[0]
        needs = _requires(wheel)
        missing = [n for n in needs if n not in packages]
        if missing:
            raise SystemExit(f"{wheel.name} needs {missing}: add them to kernel-wheels.txt")
        packages[name]["depends"] = sorted(needs)
    return lock


def stage(lite_dir: Path, wheels: list[Path]) -> None:
    """The JupyterLite source folder: Pyodide with the kernel's wheels, the config, the files."""
    shutil.rmtree(lite_dir, ignore_errors=True)
    pyodide = lite_dir / "static" / "pyodide"
    pyodide.mkdir(parents=True)
    npm = ROOT / "node_modules" / "pyodide"
    for name in PYODIDE_FILES:
        shutil.copy2(npm / name, pyodide / name)
    for wheel in wheels:
        shutil.copy2(wheel, pyodide / wheel.name)
    lock = patched_lock(json.loads((npm / "pyodide-lock.json").read_text()), wheels)
    (pyodide / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    # exposeAppInBrowser: window.jupyterapp, JupyterLab's own hook for driving it from tests
    settings = {KERNEL: {"disablePyPIFallback": True}}
    config = {"jupyter-config-data": {"exposeAppInBrowser": True, "litePluginSettings": settings}}
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=2))
    (lite_dir / "files").mkdir()
    shutil.copy2(HERE / "torsh-data.ipynb", lite_dir / "files" / "torsh-data.ipynb")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheels", type=Path, required=True, help="the kernel's wheels (folder)")
    ap.add_argument("--torsh-wheel", type=Path, required=True, help="torsh-data's wheel")
    ap.add_argument("--out", type=Path, required=True, help="the site (replaced)")
    args = ap.parse_args()
    wheels = sorted(args.wheels.glob("*.whl"))
    out = args.out.resolve()
    lite_dir = out.parent / (out.name + "-src")
    stage(lite_dir, wheels)
    shutil.rmtree(out, ignore_errors=True)
    jupyter = Path(sys.executable).parent / "jupyter"
    cmd = [str(jupyter), "lite", "build", "--lite-dir", str(lite_dir), "--output-dir",
           str(out), "--piplite-wheels", str(args.torsh_wheel.resolve()),
           "--no-sourcemaps"]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=lite_dir, env={"PATH": str(jupyter.parent), "HOME": "/tmp"})
    settings = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = settings["litePluginSettings"][KERNEL]
    if not (kernel.get("pyodideUrl", "").startswith("./") and kernel["disablePyPIFallback"]):
        raise SystemExit(f"the site would load Pyodide or packages from elsewhere: {kernel}")
    print(f"JupyterLite site in {out} (Pyodide from {lite_dir / 'static/pyodide'})")


if __name__ == "__main__":
    main()
