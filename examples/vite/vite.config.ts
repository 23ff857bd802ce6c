// The one step Vite needs for torsh-data: ship Pyodide's files as they are.
//
// Pyodide fetches its WebAssembly, its standard library and its lock file at run time, from the
// directory of pyodide.mjs. Bundled, pyodide.mjs lands in assets/ without them and they 404.
// This plugin copies them into public/pyodide/ (Vite serves public/ in dev and copies it into
// dist/ on build), and main.ts boots with init({ indexURL: `${BASE_URL}pyodide/` }).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { defineConfig, type Plugin } from "vite";

const PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];

function pyodideAssets(): Plugin {
  return {
    name: "pyodide-assets",
    configResolved(config) {
      // the Pyodide torsh-data itself depends on (wherever npm put it)
      const fromTorsh = createRequire(createRequire(import.meta.url).resolve("torsh-data/package.json"));
      const from = path.dirname(fromTorsh.resolve("pyodide/package.json"));
      const to = path.join(config.publicDir, "pyodide");
      fs.mkdirSync(to, { recursive: true });
      for (const f of PYODIDE_FILES) fs.copyFileSync(path.join(from, f), path.join(to, f));
    },
  };
}

export default defineConfig({
  plugins: [pyodideAssets()],
  // Pre-bundling would move the package away from its wheel (new URL(..., import.meta.url))
  optimizeDeps: { exclude: ["torsh-data", "pyodide"] },
  build: {
    target: "es2022", // top-level await
    rollupOptions: { external: ["pyodide"] }, // loaded from public/pyodide/ through indexURL
  },
});
