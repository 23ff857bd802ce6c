// `torsh-data serve DIR` on a free port of 127.0.0.1 for the browser tests: resolves to
// {proc, url} once it prints its URL (20 s at most).
import { spawn } from "node:child_process";

export function serveDir(python, dir, args, env) {
  const proc = spawn(python, ["-m", "torsh_data", "serve", dir, "--port", "0", "--quiet", ...args],
    { env, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("torsh-data serve printed no URL")), 20_000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/at (http:\/\/\S+?)\/\s/);
      if (m) { clearTimeout(timer); resolve({ proc, url: m[1] }); }
    });
    proc.on("exit", (c) => reject(new Error(`torsh-data serve exited (${c})`)));
  });
}
