import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Exits with a message unless Linux `perf` is on the PATH (bench:segments and bench:native run it). */
export function requirePerf(script: string): void {
  if (spawnSync("perf", ["--version"]).status === 0) return;
  console.error(`${script} needs Linux perf on the PATH (Debian: apt install linux-perf)`);
  process.exit(1);
}

/** CPU seconds (user + system) a process and its children have used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // utime, stime are fields 14 and 15 of stat (11 and 12 after the command name).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** Peak resident memory of a process in MiB (VmHWM). */
export function peakMemoryMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Descendant pids whose command line contains `needle` (to find the workerd a Miniflare started). */
export function descendantsMatching(root: number, needle: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" });
  const children = new Map<number, Array<{ pid: number; args: string }>>();
  for (const line of out.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const entry = { pid: Number(match[1]), args: match[3] ?? "" };
    const parent = Number(match[2]);
    children.set(parent, [...(children.get(parent) ?? []), entry]);
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (child.args.includes(needle)) found.push(child.pid);
      walk(child.pid);
    }
  };
  walk(root);
  return found;
}
