// The JavaScript package in webkit (tests in js_suite.mjs; skipped where $TORSH_ENGINES leaves webkit out).
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/js.webkit.test.mjs
import { engineTests, setUp } from "./js_suite.mjs";

setUp("webkit");
engineTests("webkit");
