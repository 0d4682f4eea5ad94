/**
 * `--health-file PATH`: while the agent holds a welcomed AgentLink stream, PATH exists and
 * its mtime is at most `intervalMs` old; when the stream is gone the file is removed. A
 * container health check (docker-compose.yml, a Kubernetes exec probe) reads it:
 * `airlock-agent-health PATH [MAX_AGE_S]`, or any test of the file's age.
 */
import { rmSync, statSync, writeFileSync } from 'node:fs';
import type { EdgeAgent } from './agent.js';

/** Keeps `path` in step with the agent's stream until the returned function is called. */
export function keepHealthFile(agent: EdgeAgent, path: string, intervalMs = 10_000): () => void {
  let connected = false;
  const touch = (): void => {
    try {
      writeFileSync(path, `${new Date().toISOString()}\n`);
    } catch {
      // an unwritable path shows as unhealthy, which is what it is
    }
  };
  const remove = (): void => rmSync(path, { force: true });
  const onWelcome = (): void => {
    connected = true;
    touch();
  };
  const onGone = (): void => {
    connected = false;
    remove();
  };
  agent.on('welcome', onWelcome);
  agent.on('disconnected', onGone);
  const timer = setInterval(() => connected && touch(), intervalMs);
  timer.unref();
  remove();
  return () => {
    clearInterval(timer);
    agent.off('welcome', onWelcome);
    agent.off('disconnected', onGone);
    remove();
  };
}

/** True when `path` was refreshed in the last `maxAgeS` seconds. */
export function healthFileFresh(path: string, maxAgeS: number, nowMs = Date.now()): boolean {
  try {
    return nowMs - statSync(path).mtimeMs <= maxAgeS * 1000;
  } catch {
    return false;
  }
}
