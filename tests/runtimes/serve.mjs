// `torsh-data serve DIR` on a free port of 127.0.0.1 for the browser tests: resolves to
// {proc, url} once it prints its URL (20 s at most). With { log: true } the server logs its
// requests, and `requests` holds each as its log says it ('"GET /path HTTP/1.1" 200 -').
import { spawn } from "node:child_process";

export function serveDir(python, dir, args, env, { log = false } = {}) {
  const proc = spawn(python, ["-m", "torsh_data", "serve", dir, "--port", "0", ...(log ? [] : ["--quiet"]), ...args],
    { env, stdio: ["ignore", "pipe", log ? "pipe" : "inherit"] });
  const requests = [];
  if (log) {
    let rest = "";
    proc.stderr.on("data", (d) => {
      const lines = (rest + d).split("\n");
      rest = lines.pop();
      for (const l of lines) { const m = l.match(/"(\w+ \S+ HTTP\/[\d.]+" \d+.*)$/); if (m) requests.push(m[1]); }
    });
  }
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("torsh-data serve printed no URL")), 20_000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/at (http:\/\/\S+?)\/\s/);
      if (m) { clearTimeout(timer); resolve({ proc, url: m[1], requests }); }
    });
    proc.on("exit", (c) => reject(new Error(`torsh-data serve exited (${c})`)));
  });
}
