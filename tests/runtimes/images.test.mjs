// Browser-native image decoding (torsh_data.io.decode_image_async) in each headless browser engine against
// Pillow: images are encoded natively by Pillow (JPEG, WebP, PNG of every Pillow mode), Pillow's
// own decode is written beside each, and the page decodes them with createImageBitmap +
// OffscreenCanvas (tests/io/browser/image_checks.py). PNG exactness against this package's
// decoder, hostile headers and the async pipeline: tests/io/test_browser_image.py (pytest, run
// in Chromium too).
//
// Run: PYTHON=$PWD/.venv/bin/python node --experimental-wasm-stack-switching --test tests/runtimes/images.test.mjs
// PYTHON needs Pillow. TORSH_WHEEL_DIR: directory of the torsh_data wheel (default: dist).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ENGINES, skipReason } from "../../tools/pyodide/engines.mjs";
import { runInBrowser } from "../../tools/pyodide/runtimes.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CHECKS = path.join(ROOT, "tests/io/browser/image_checks.py");

// image_checks.py blocks on JavaScript promises (asyncio.run): engines without JSPI skip.
for (const engine of ENGINES) test(`${engine}: JPEG, WebP and Pillow-written PNGs decode like Pillow decodes them`,
  { skip: skipReason(engine, "jspi") ?? false }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "torsh-images-"));
  try {
    execFileSync(process.env.PYTHON ?? "python3", [CHECKS, "make", dir], { stdio: "inherit" });
    const r = await runInBrowser(engine, {
      wheelDirs: [path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist")),
        path.join(ROOT, ".cache/pyodide-wheels")],
      mounts: [`${path.join(ROOT, "tests")}:/work/tests`, `${dir}:/work/imgs`],
      cwd: "/work", timeout: 300, script: CHECKS, args: ["check", "/work/imgs"],
    });
    assert.equal(r.code, 0, r.stderr);
    const f = JSON.parse(r.stdout.trim().split("\n").pop());
    assert.equal(f.runtime, "pyodide-browser");
    delete f.runtime;
    assert.equal(Object.keys(f).length, 15);
    for (const [name, v] of Object.entries(f)) {
      assert.deepEqual(v.shape, v.ref_shape, `${name}: shape`);
      assert.equal(v.dtype, "uint8");
      if (name.endsWith(".png")) {
        assert.equal(v.max_diff, 0, `${name}: PNG must be exact`);
        assert.ok(v.equals_python_decoder, `${name}: differs from the Python PNG decoder`);
      } else if (v.ref_shape[2] === 4) {
        // the canvas premultiplies: alpha is exact, colour is exact where opaque
        assert.ok(v.alpha_equal, `${name}: alpha`);
        assert.ok(v.opaque_pixels > 0);
        assert.equal(v.max_diff_opaque, 0, `${name}: opaque colour`);
      } else {
        // JPEG/WebP decoders may differ by a step or two (IDCT, upsampling, YUV->RGB)
        assert.ok(v.max_diff <= 2, `${name}: max difference ${v.max_diff} from Pillow`);
        assert.ok(v.mean_diff <= 0.5, `${name}: mean difference ${v.mean_diff} from Pillow`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// transforms._scale.fast_resize in a page is the canvas's scaler (putImageData, drawImage,
// getImageData: synchronous, so no JSPI needed). tests/transforms/scale_checks.py prints,
// per case, the shape it gave and the difference from a float64 bilinear reference.
for (const engine of ENGINES) test(`${engine}: the canvas scales images for fast_resize`, async () => {
  const r = await runInBrowser(engine, {
    wheelDirs: [path.resolve(process.env.TORSH_WHEEL_DIR ?? path.join(ROOT, "dist")),
      path.join(ROOT, ".cache/pyodide-wheels")],
    mounts: [`${path.join(ROOT, "tests")}:/work/tests`],
    cwd: "/work", timeout: 300, script: path.join(ROOT, "tests/transforms/scale_checks.py"),
  });
  assert.equal(r.code, 0, r.stderr);
  const f = JSON.parse(r.stdout.trim().split("\n").pop());
  assert.equal(f.runtime, "pyodide-browser");
  // translucent pixels would come back with premultiplied (rounded) colour: declined
  assert.equal(f.rgba_translucent, null);
  for (const [name, v] of Object.entries(f)) {
    if (name === "runtime" || name === "rgba_translucent") continue;
    assert.ok(v, `${name}: the browser path declined`);
    assert.deepEqual(v.shape, v.want_shape, `${name}: shape`);
    assert.equal(v.dtype, "uint8");
    if (name.includes("enlarge") || name === "rgba_opaque") {
      assert.ok(v.max_diff <= 1, `${name}: max difference ${v.max_diff} when enlarging`);
    } else {
      // reductions: each engine filters its own way (Chromium mipmaps); close on average
      assert.ok(v.mean_diff <= 5, `${name}: mean difference ${v.mean_diff} when reducing`);
    }
  }
});
