/**
 * The runner's handle on the load generator process (test/bench/load/main.ts): forks it and
 * turns each request into a promise of its answer.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadRequest, LoadSpec } from '../load/main.js';
import type { JoinRun } from './sim-load.js';
import { procCpuUs } from '../../support/proc.js';

const MAIN = fileURLToPath(new URL('../load/main.js', import.meta.url));

type Op = LoadRequest extends infer R ? (R extends { op: infer O } ? O : never) : never;
type Args<O extends Op> = Omit<Extract<LoadRequest, { op: O }>, 'id' | 'op'>;

/** A load generator process. */
export class LoadProcess {
  private readonly child: ChildProcess;
  private next = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private exited = false;

  private constructor(nodeArgs: string[]) {
    this.child = fork(MAIN, [], { execArgv: nodeArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.ok) w?.resolve(m.result);
      else w?.reject(new Error(`load generator: ${m.error ?? 'failed'}`));
    });
    this.child.on('exit', (code, sig) => {
      this.exited = true;
      for (const w of this.waiting.values()) w.reject(new Error(`load generator exited (${sig ?? code})`));
      this.waiting.clear();
    });
  }

  /** Starts the process and builds its load. AIRLOCK_BENCH_LOAD_NODE_ARGS adds node flags (profiling). */
  static async start(spec: LoadSpec): Promise<LoadProcess> {
    const p = new LoadProcess((process.env.AIRLOCK_BENCH_LOAD_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''));
    await p.request('create', { options: spec });
    return p;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** CPU time of the process so far (procfs), µs. */
  cpuUs(): number {
    return procCpuUs(this.pid);
  }

  connect(timeoutMs = 30_000): Promise<unknown> {
    return this.request('connect', { timeoutMs });
  }

  joinAll(concurrency: number, timeoutMs: number): Promise<JoinRun> {
    return this.request('joinAll', { concurrency, timeoutMs }) as Promise<JoinRun>;
  }

  joinAtRate(ratePerS: number, timeoutMs: number): Promise<JoinRun> {
    return this.request('joinAtRate', { ratePerS, timeoutMs }) as Promise<JoinRun>;
  }

  leaveAll(): Promise<unknown> {
    return this.request('leaveAll', {});
  }

  check(): Promise<{ keyMismatches: number; violations: number }> {
    return this.request('check', {}) as Promise<{ keyMismatches: number; violations: number }>;
  }

  /** SAE exchanges the stations started and failed so far (SimLoad.saeStats). */
  saeStats(): Promise<{ exchanges: number; failures: number }> {
    return this.request('saeStats', {}) as Promise<{ exchanges: number; failures: number }>;
  }

  /** Times the joins the stations make by themselves from now on (SimLoad.watchJoins). */
  watchJoins(): Promise<unknown> {
    return this.request('watchJoins', {});
  }

  /** The join latencies timed since watchJoins (ms). */
  async joinLatencies(): Promise<number[]> {
    return ((await this.request('joinLatencies', {})) as { latenciesMs: number[] }).latenciesMs;
  }

  /** Times each agent's failover from now on (SimLoad.watchFailovers). */
  watchFailovers(): Promise<unknown> {
    return this.request('watchFailovers', {});
  }

  failovers(): Promise<{ ms: number[]; pending: number; disconnects: number; joins: number }> {
    return this.request('failovers', {}) as Promise<{ ms: number[]; pending: number; disconnects: number; joins: number }>;
  }

  /** Stops the load and the process. */
  async stop(): Promise<void> {
    if (this.exited) return;
    await this.request('stop', {}).catch(() => undefined);
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.disconnect();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }

  private request<O extends Op>(op: O, args: Args<O>): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error('load generator has exited'));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, op, ...args });
    });
  }
}
