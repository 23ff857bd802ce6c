// The JavaScript package in firefox (tests in js_suite.mjs; skipped where $TORSH_ENGINES leaves firefox out).
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/js.firefox.test.mjs
import { engineTests, setUp } from "./js_suite.mjs";

setUp("firefox");
engineTests("firefox");
