// SPDX-License-Identifier: GPL-3.0-or-later
// Helpers for the Socket.IO tests: start a server binary and read its URL,
// and a raw WebSocket reader that never misses a frame.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Orderly itself in conformance mode, as the official suites run against it.
export function conformanceCommand() {
  const orderly = process.env.ORDERLY_BIN || join(repoRoot, '_build', 'src', 'orderly');
  if (!existsSync(orderly))
    return null;
  return { command: orderly, args: ['--headless', '--port', '0', '--no-auth'], env: { ORDERLY_SOCKETIO_CONFORMANCE: '1' }, dataDir: true };
}

// Starts COMMAND and resolves once it prints "Orderly listening on URL".
export function startServer({ command, args = [], env = {}, dataDir = false }, timeoutMs = 15000) {
  let tmp = null;
  const fullArgs = [...args];
  if (dataDir) {
    tmp = mkdtempSync(join(tmpdir(), 'orderly-sio-'));
    fullArgs.push('--data-dir', tmp);
  }
  const child = spawn(command, fullArgs, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in time: ${out} ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const match = out.match(/Orderly listening on (https?:\/\/[^\s]+?)\/?\s/);
      if (match) {
        clearTimeout(timer);
        const url = match[1].replace(/\/$/, '');
        resolvePromise({
          url,
          wsUrl: url.replace(/^http/, 'ws'),
          output: () => out,
          child,
          dataDir: tmp,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) {
              const exited = new Promise((r) => child.once('exit', r));
              child.kill(signal);
              await Promise.race([exited, sleep(5000)]);
              if (child.exitCode === null && child.signalCode === null)
                child.kill('SIGKILL');
            }
            if (tmp)
              rmSync(tmp, { recursive: true, force: true });
          },
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
}

// A raw WebSocket whose frames queue up until read, so that two frames that
// arrive in one TCP read are both seen.
export class FrameReader {
  constructor(url, options = {}) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    this.frames = [];
    this.waiters = [];
    this.closeCode = null;
    this.opened = new Promise((res, rej) => {
      this.ws.once('open', res);
      this.ws.once('error', rej);
      this.ws.once('unexpected-response', (req, res2) => rej(new Error(`HTTP ${res2.statusCode}`)));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((res) => {
      this.ws.once('close', (code) => { this.closeCode = code; res(code); this._wake(); });
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? Buffer.from(data) : data.toString());
      this._wake();
    });
  }

  _wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters)
      w();
  }

  // The next frame; rejects on close or after timeoutMs.
  async next(timeoutMs = 2000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.frames.length > 0)
        return this.frames.shift();
      if (this.closeCode !== null)
        throw new Error(`socket closed (${this.closeCode})`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error('timed out waiting for a frame');
      await new Promise((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  // The next frame that is not a ping; pings are answered.
  async nextData(timeoutMs = 2000) {
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame === '2') {
        this.send('3');
        continue;
      }
      return frame;
    }
  }

  send(data) {
    this.ws.send(data);
  }

  async waitClosed(timeoutMs = 2000) {
    return Promise.race([
      this.closed,
      sleep(timeoutMs).then(() => { throw new Error('socket not closed in time'); }),
    ]);
  }

  close() {
    this.ws.terminate();
  }
}
