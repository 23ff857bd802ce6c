// The JavaScript package in chromium (tests in js_suite.mjs; skipped where $TORSH_ENGINES leaves chromium out).
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/js.chromium.test.mjs
import { engineTests, setUp } from "./js_suite.mjs";

setUp("chromium");
engineTests("chromium");
