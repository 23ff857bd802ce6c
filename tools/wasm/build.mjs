// Assembles src/torsh_data/_wasm/*.wat into the *.wasm files shipped in the wheel.
//   node tools/wasm/build.mjs           write every .wasm
//   node tools/wasm/build.mjs --check   exit 1 if a committed .wasm differs from its .wat
// wabt (npm, pinned in package.json) is a development tool only: users get the .wasm files.
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";

const dir = join(dirname(fileURLToPath(import.meta.url)), "../../src/torsh_data/_wasm");
const check = process.argv.includes("--check");
const wabt = await wabtInit();
let stale = 0;
for (const name of readdirSync(dir).filter((f) => f.endsWith(".wat")).sort()) {
  const module = wabt.parseWat(name, readFileSync(join(dir, name), "utf8"));
  module.validate();
  const bytes = Buffer.from(module.toBinary({ write_debug_names: false }).buffer);
  module.destroy();
  const out = join(dir, name.replace(/\.wat$/, ".wasm"));
  const same = existsSync(out) && Buffer.compare(readFileSync(out), bytes) === 0;
  if (check) {
    if (!same) {
      stale += 1;
      console.error(`${out} is not what ${name} assembles to: run node tools/wasm/build.mjs`);
    }
  } else if (!same) {
    writeFileSync(out, bytes);
    console.log(`wrote ${out} (${bytes.length} bytes)`);
  }
}
process.exit(stale ? 1 : 0);
