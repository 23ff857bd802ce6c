#!/usr/bin/env bash
# The JupyterLite site of tests/runtimes/notebook.test.mjs, offline: usage
#   tools/jupyterlite/setup.sh PYTHON   (run from the repository root, after npm ci and the wheel)
# Its own virtual environment (.cache/jupyterlite/venv, tools/jupyterlite/requirements.txt): the
# build tools' ~60 packages (jupyter_server, nbconvert, ...) stay out of .venv, and a change of
# pyproject.toml does not reinstall them. Each part is redone only when its inputs change.
set -euo pipefail
py=$1
cache=.cache/jupyterlite out=build/jupyterlite
stamp_of() { cat "$@" | sha256sum | cut -c1-16; }
mkdir -p "$cache"
stamp=$(stamp_of tools/jupyterlite/requirements.txt)
if [ "$(cat "$cache/venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "jupyterlite: virtual environment $cache/venv"
  rm -rf "$cache/venv"
  "$py" -m venv "$cache/venv"
  "$cache/venv/bin/pip" install -q --disable-pip-version-check --no-deps -r tools/jupyterlite/requirements.txt
  echo "$stamp" > "$cache/venv/.stamp"
fi
stamp=$(stamp_of tools/jupyterlite/kernel-wheels.txt)
if [ "$(cat "$cache/wheels/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "jupyterlite: the kernel's pure wheels for Pyodide"
  rm -rf "$cache/wheels"
  "$cache/venv/bin/pip" download -q --disable-pip-version-check --only-binary=:all: --platform any \
    --python-version 3.14 --implementation py --no-deps -r tools/jupyterlite/kernel-wheels.txt -d "$cache/wheels"
  echo "$stamp" > "$cache/wheels/.stamp"
fi
wheel=$(ls dist/torsh_data-*.whl)
# the wheel by its members' bytes (its zip records build times)
members='import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); [sys.stdout.buffer.write(z.read(n)) for n in z.namelist()]'
stamp=$( (cat tools/jupyterlite/* "$cache"/wheels/*.whl node_modules/pyodide/pyodide-lock.json
          "$cache/venv/bin/python" -c "$members" "$wheel") | sha256sum | cut -c1-16)
if [ "$(cat "$out/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "jupyterlite: building the site in $out"
  "$cache/venv/bin/python" tools/jupyterlite/build.py --wheels "$cache/wheels" --torsh-wheel "$wheel" --out "$out"
  echo "$stamp" > "$out/.stamp"
fi
