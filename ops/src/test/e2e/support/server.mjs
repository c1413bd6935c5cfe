// The server under test: the built jar as a child process, demo profile, in-memory MongoDB, free ports.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { jarPath, outDir } from './paths.mjs';

const START_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 10_000;

/** A port nobody listens on right now (the OS picks it; the server binds it a moment later). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function javaExecutable() {
  const home = process.env.JAVA_HOME;
  return home && existsSync(join(home, 'bin', 'java')) ? join(home, 'bin', 'java') : 'java';
}

/** The last lines of a log, for an error that says why a process did not start. */
export function tail(file, lines) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Children still running, killed hard if this process ends without stopping them. */
const running = new Set();
function killAll() {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killAll();
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[signal]);
  });
}
// `node --test` runs this file in a child process; if the runner itself is killed (a build timeout), this
// process is re-parented and the server must not outlive it on a shared machine.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) {
    killAll();
    process.exit(1);
  }
}, 1_000).unref();

/**
 * Starts ops/target/tsunagu-ops.jar with the demo profile on free ports and waits until it is ready
 * (GET /actuator/health/readiness answers 200: the demo data is seeded by then; liveness comes earlier).
 * Its output goes to ops/target/e2e/<name>.log. {@code extraArgs} are added to the server's arguments; {@code port}
 * is the one to listen on when the caller had to know it in advance (a free one otherwise).
 *
 * @returns {Promise<{baseUrl: string, port: number, fhirPort: number, log: string, pid: number, stop: () => Promise<void>}>}
 */
export async function startServer(extraArgs = [], { port: wanted, name = 'server' } = {}) {
  if (!existsSync(jarPath)) {
    throw new Error(`${jarPath} not found: build it first (./mvnw -q -B -DskipTests install)`);
  }
  mkdirSync(outDir, { recursive: true });
  const port = wanted || await freePort();
  const simulatorPort = await freePort();
  const fhirPort = await freePort();
  const log = join(outDir, `${name}.log`);
  const dataDir = join(outDir, `data-${port}`);
  rmSync(dataDir, { recursive: true, force: true });
  const args = [
    '-jar', jarPath,
    '--spring.profiles.active=demo',
    // On disk, as the README's start runs it: the browser drives the embedded default's own backend and indexes.
    `--tsunagu.embedded-mongo.data-dir=${dataDir}`,
    `--server.port=${port}`,
    `--tsunagu.demo.simulator.port=${simulatorPort}`,
    `--tsunagu.demo.fhir.port=${fhirPort}`,
    '--tsunagu.demo.simulator.post-every=1h',
    ...extraArgs,
  ];
  const out = createWriteStream(log);
  await new Promise((resolve) => out.once('open', resolve));
  out.write(`# ${javaExecutable()} ${args.join(' ')}\n`);
  // cwd ops/target/e2e: whatever the server might write beside itself stays out of the source tree.
  const child = spawn(javaExecutable(), args, { cwd: outDir, stdio: ['ignore', out, out] });
  running.add(child);
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
    running.delete(child);
  });
  child.once('error', (e) => {
    exited = { code: null, signal: null, error: e };
    running.delete(child);
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) {
      return;
    }
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await gone;
    clearTimeout(timer);
    await new Promise((resolve) => out.end(resolve));
  };

  const started = Date.now();
  let last = 'no answer';
  while (Date.now() - started < START_TIMEOUT_MS) {
    if (exited) {
      const why = exited.error ? exited.error.message : `exit code ${exited.code}, signal ${exited.signal}`;
      throw new Error(`the server exited before it was ready (${why}); last lines of ${log}:\n${tail(log, 40)}`);
    }
    try {
      const r = await fetch(`${baseUrl}/actuator/health/readiness`, { signal: AbortSignal.timeout(2_000) });
      if (r.status === 200) {
        return { baseUrl, port, fhirPort, log, pid: child.pid, startMs: Date.now() - started, stop };
      }
      last = `${r.status} ${await r.text()}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`the server was not ready after ${START_TIMEOUT_MS / 1000} s (last answer: ${last}); `
    + `last lines of ${log}:\n${tail(log, 40)}`);
}
