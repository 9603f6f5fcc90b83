// Starts the server under test on free ports and stops it again.
//
// With ECHELON_SERVER_BIN set, that binary is run as
//   $ECHELON_SERVER_BIN --host 127.0.0.1 --port P --grpc-port G $ECHELON_SERVER_ARGS [extra args]
// otherwise the viewer's mock server (viewer/dev/mock_server.mjs) stands in.
// Readiness is GET /health answering 200, polled (no fixed sleeps). Every process
// started here is killed when the test process exits, whatever happens.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from './pusher.mjs';

const MOCK_SERVER = path.join(REPO_ROOT, 'viewer', 'dev', 'mock_server.mjs');
const START_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 5000;
const LOG_LIMIT = 64 * 1024;

const running = new Set();
const dataDirs = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `condition` (sync or async) until it returns a truthy value; returns that value. */
export async function waitFor(condition, { timeoutMs = 10000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export class ServerUnderTest {
  constructor({ port, grpcPort, extraArgs = [] }) {
    this.extraArgs = extraArgs;
    this.port = port;
    this.grpcPort = grpcPort;
    this.child = null;
    this.log = '';
    this.isMock = !process.env.ECHELON_SERVER_BIN;
    this.libraryDir = null;
  }

  /** The real server's data dir, made on first use. */
  dataDir() {
    if (!this.libraryDir) {
      this.libraryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'echelon-data-'));
      dataDirs.add(this.libraryDir);
    }
    return this.libraryDir;
  }

  /**
   * Starts a server on fresh free ports and waits until it is healthy.
   * `extraArgs` are options both servers take (e.g. ['--view-token', 'secret']).
   */
  static async start({ extraArgs = [] } = {}) {
    const server = new ServerUnderTest({ port: await freePort(), grpcPort: await freePort(), extraArgs });
    await server.start();
    return server;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  command() {
    const bin = process.env.ECHELON_SERVER_BIN;
    if (bin) {
      const extra = (process.env.ECHELON_SERVER_ARGS || '').split(/\s+/).filter(Boolean);
      // Its own replay library (the picker and deep links read it), kept across
      // restarts of this server and removed when the test process exits.
      return [bin, ['--host', '127.0.0.1', '--port', String(this.port), '--grpc-port', String(this.grpcPort),
        '--data-dir', this.dataDir(), ...extra, ...this.extraArgs]];
    }
    return [process.execPath, [MOCK_SERVER, '--host', '127.0.0.1', '--port', String(this.port), ...this.extraArgs]];
  }

  /** (Re)starts the process on the same ports. */
  async start() {
    if (this.child) throw new Error('server already running');
    const [file, args] = this.command();
    const child = spawn(file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    const keepLog = (data) => {
      this.log = (this.log + data.toString()).slice(-LOG_LIMIT);
    };
    child.stdout.on('data', keepLog);
    child.stderr.on('data', keepLog);
    child.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
    let exitedEarly = null;
    child.exited.then((status) => { exitedEarly = status; });
    try {
      await waitFor(async () => {
        if (exitedEarly) throw new Error(`server exited early (${JSON.stringify(exitedEarly)})`);
        const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
        return response.ok;
      }, { timeoutMs: START_TIMEOUT_MS, what: `${file} /health` });
    } catch (error) {
      await this.stop();
      throw new Error(`${error.message}\n--- server log ---\n${this.log}`);
    }
  }

  /** Stops the process: SIGTERM, then SIGKILL if it has not exited in time. */
  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await child.exited;
      clearTimeout(timer);
    }
  }
}
