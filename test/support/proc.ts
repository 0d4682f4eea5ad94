/**
 * CPU time and resident memory of another process, from Linux procfs (proc(5)):
 * /proc/<pid>/stat fields 14-15 (utime, stime, in clock ticks) and /proc/<pid>/status
 * VmRSS (kB).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** sysconf(_SC_CLK_TCK), from `getconf CLK_TCK` (100 on Linux/x86). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU time of `pid` in microseconds (resolution: one clock tick, 10 ms). */
export function procCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) is in parentheses and may contain spaces: split after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / ticksPerSecond();
}

/** Resident set size of `pid` in kB (VmRSS). */
export function procRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/** `pid` and its descendants (a clustered authenticator's workers), from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue; // ended while we looked
    }
    for (const tid of tids) {
      try {
        for (const c of readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim() !== '') out.push(Number(c));
      } catch {
        // ended while we looked
      }
    }
  }
  return out;
}

/** Sum of `f` over `pid` and its descendants; a process that ended meanwhile counts 0. */
export function overTree(pid: number, f: (p: number) => number): number {
  let sum = 0;
  for (const p of processTree(pid)) {
    try {
      sum += f(p);
    } catch {
      // ended while we looked
    }
  }
  return sum;
}

/** Pids of processes whose command line contains `needle` as one argument. */
export function pidsWithArgument(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.includes(needle)) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
