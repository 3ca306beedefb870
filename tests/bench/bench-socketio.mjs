// SPDX-License-Identifier: GPL-3.0-or-later
// Socket.IO delivery benchmark. The same client harness (stock
// socket.io-client 4.8) runs, in one run, against Orderly's Socket.IO layer
// and against the reference socket.io 4.8 npm server, both broadcasting the
// same feed, and prints for each: messages delivered per second, p99
// latency (server emit to client handler), server CPU seconds per 100,000
// delivered messages, and the server's RSS.
//
//   node tests/bench/bench-socketio.mjs [--clients 100,1000] [--seconds 10]
//        [--logs-per-tick 2] [--tick-ms 100] [--client raw|socket.io]
//        [--transport websocket|polling]
//
// The default client is a minimal Engine.IO/Socket.IO client on the `ws`
// package (connect, answer pings, JSON.parse every event): a thousand
// socket.io-client instances in one Node process saturate it first, and
// its own backlog would then be what the latency measures.
// --client socket.io uses socket.io-client 4.8 instead.
//
// Two comparisons, each against the reference server emitting the same
// stream:
//   feed:    Orderly's Socket.IO layer (sio-bench-server) broadcasting a
//            synthetic feed of status, progress and log events;
//   orderly: the real `orderly --headless` during a run started by POST
//            /generate, whose hub sends status and progress every tick and
//            metrics every second; its CPU is that of the main-loop thread
//            (the hub and Socket.IO), not of the worker threads processing
//            orders.
// ORDERLY_SIO_BENCH_SERVER names the feed binary (default
// _build/tests/server/socketio/sio-bench-server), ORDERLY_BIN Orderly
// (default _build/src/orderly); --target feed|orderly|both picks.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(new URL('../js/package.json', import.meta.url));
const { io } = require('socket.io-client');
const WebSocket = require('ws');

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : fallback;
}

const clientCounts = option('clients', '100,1000').split(',').map(Number);
const seconds = Number(option('seconds', '10'));
const warmupSeconds = Number(option('warmup', '2'));
const logsPerTick = option('logs-per-tick', '2');
const clientKind = option('client', 'raw');
const tickMs = option('tick-ms', '100');
const transport = option('transport', 'websocket');
const clockTicks = 100;

const feedBin = process.env.ORDERLY_SIO_BENCH_SERVER ||
  join(repoRoot, '_build', 'tests', 'server', 'socketio', 'sio-bench-server');
const orderlyBin = process.env.ORDERLY_BIN || join(repoRoot, '_build', 'src', 'orderly');
const target = option('target', 'both');
const quantity = Number(option('quantity', '3000000'));
const TOKEN = 'bench-operator-token-0123456789';
const referenceScript = join(repoRoot, 'tests', 'bench', 'bench-socketio-reference-server.mjs');

const comparisons = [];
if (target !== 'orderly') {
  comparisons.push({
    title: `feed: one status + one progress + ${logsPerTick} log events every ${tickMs} ms`,
    servers: [
      { name: 'Orderly socket.io layer', command: feedBin, args: ['--tick-ms', tickMs, '--logs-per-tick', logsPerTick] },
      { name: 'socket.io 4.8 (Node)', command: process.execPath, args: [referenceScript, '--tick-ms', tickMs, '--logs-per-tick', logsPerTick] },
    ],
  });
}
if (target !== 'feed' && existsSync(orderlyBin)) {
  comparisons.push({
    title: `orderly: a run of ${quantity} orders; status + progress every 100 ms, metrics every second`,
    servers: [
      { name: 'orderly --headless', command: orderlyBin, orderly: true, mainThreadOnly: true },
      { name: 'socket.io 4.8 (Node)', command: process.execPath, args: [referenceScript, '--tick-ms', '100', '--logs-per-tick', '0', '--metrics-every', '10'] },
    ],
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => performance.timeOrigin + performance.now();

function startServer({ command, args, orderly }) {
  let dataDir = null;
  if (orderly) {
    dataDir = mkdtempSync(join(tmpdir(), 'orderly-bench-'));
    args = ['--headless', '--port', '0', '--data-dir', dataDir, '--workers', '1'];
  }
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ORDERLY_OPERATOR_TOKEN: TOKEN, ORDERLY_VIEWER_TOKEN: `${TOKEN}-viewer` },
  });
  child.dataDir = dataDir;
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const match = out.match(/listening on (http:\/\/[^\s]+?)\/?\s/);
      if (match)
        resolvePromise({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
  });
}

function cpuSeconds(pid, mainThreadOnly = false) {
  const path = mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

function rssMiB(pid) {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return match ? Number(match[1]) / 1024 : NaN;
}

function percentile(values, p) {
  if (values.length === 0)
    return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

// A minimal WebSocket-only Socket.IO client: enough to join "/" and count
// events, with none of socket.io-client's per-packet machinery.
function rawConnect(url, onEvent) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
    { perMessageDeflate: false });
  const socket = { connected: false, disconnect: () => ws.terminate() };
  const ready = new Promise((resolvePromise, reject) => {
    ws.on('error', reject);
    ws.on('message', (data, isBinary) => {
      if (isBinary)
        return;
      const text = data.toString();
      if (text[0] === '2') {
        ws.send('3');
      } else if (text.startsWith('0')) {
        ws.send(`40{"token":"${TOKEN}"}`);
      } else if (text.startsWith('40')) {
        socket.connected = true;
        resolvePromise();
      } else if (text.startsWith('42')) {
        const [name, payload] = JSON.parse(text.slice(2));
        onEvent(payload, name);
      }
    });
    ws.on('close', () => { socket.connected = false; });
  });
  return { socket, ready };
}

function socketioConnect(url, onEvent) {
  const socket = io(url, { transports: [transport], forceNew: true, reconnection: false, timeout: 20000, auth: { token: TOKEN } });
  socket.onAny((name, data) => onEvent(data, name));
  const ready = new Promise((res, rej) => {
    socket.once('connect', res);
    socket.once('connect_error', rej);
  });
  return { socket, ready };
}

async function connectClients(url, count) {
  const state = { counting: false, messages: 0, latencies: [] };
  const sockets = [];
  // Latency from the emit time the event carries: sentAt (ms, sub-ms
  // precision) in the synthetic feeds, else the ISO timestamp of status,
  // progress and metrics (ms precision).
  const onEvent = (data, name) => {
    if (!state.counting)
      return;
    state.messages++;
    if (!data || name === 'connected' || name === 'log')
      return;
    if (typeof data.sentAt === 'number')
      state.latencies.push(nowMs() - data.sentAt);
    else if (typeof data.timestamp === 'string')
      state.latencies.push(Date.now() - Date.parse(data.timestamp));
  };
  const batch = 50;
  for (let i = 0; i < count; i += batch) {
    const connecting = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const { socket, ready } = clientKind === 'raw' ? rawConnect(url, onEvent) : socketioConnect(url, onEvent);
      sockets.push(socket);
      connecting.push(ready);
    }
    await Promise.all(connecting);
  }
  return { sockets, state };
}

async function measure(server, count) {
  const { child, url } = await startServer(server);
  try {
    const { sockets, state } = await connectClients(url, count);
    if (server.orderly) {
      const res = await fetch(`${url}/generate`, {
        method: 'POST', body: JSON.stringify({ quantity, force: true }),
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      });
      if (res.status !== 202)
        throw new Error(`POST /generate: ${res.status} ${await res.text()}`);
    }
    await sleep(warmupSeconds * 1000);
    const cpuStart = cpuSeconds(child.pid, server.mainThreadOnly);
    const started = nowMs();
    state.counting = true;
    await sleep(seconds * 1000);
    state.counting = false;
    const elapsed = (nowMs() - started) / 1000;
    const cpu = cpuSeconds(child.pid, server.mainThreadOnly) - cpuStart;
    const rss = rssMiB(child.pid);
    const disconnected = sockets.filter((s) => !s.connected).length;
    for (const socket of sockets)
      socket.disconnect();
    return {
      server: server.name, clients: count,
      msgsPerSecond: state.messages / elapsed,
      p99: percentile(state.latencies, 0.99),
      p50: percentile(state.latencies, 0.5),
      cpuPer100k: state.messages > 0 ? cpu / state.messages * 100000 : NaN,
      cpu, rss, disconnected,
    };
  } finally {
    child.kill('SIGTERM');
    await sleep(500);
    if (child.dataDir)
      rmSync(child.dataDir, { recursive: true, force: true });
  }
}

if (target !== 'orderly' && !existsSync(feedBin)) {
  console.error(`Orderly's feed server is not built: ${feedBin} (set ORDERLY_SIO_BENCH_SERVER)`);
  process.exit(1);
}

const clientLabel = clientKind === 'raw' ? 'minimal WebSocket clients' : `socket.io-client (${transport}) clients`;
console.log(`Socket.IO benchmark: ${clientLabel}, ${warmupSeconds} s warm-up, ${seconds} s measured`);
for (const comparison of comparisons) {
  console.log(`\n${comparison.title}`);
  for (const count of clientCounts) {
    const results = [];
    for (const server of comparison.servers) {
      const result = await measure(server, count);
      results.push(result);
      console.log(`${String(count).padStart(5)} clients  ${result.server.padEnd(24)}` +
                  `  ${result.msgsPerSecond.toFixed(0).padStart(7)} msgs/s` +
                  `  p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99.toFixed(1).padStart(6)} ms` +
                  `  ${result.cpuPer100k.toFixed(3).padStart(6)} CPU s/100k msgs` +
                  (server.mainThreadOnly ? ' (main thread)' : '') +
                  `  RSS ${result.rss.toFixed(1).padStart(6)} MiB` +
                  (result.disconnected ? `  (${result.disconnected} disconnected)` : ''));
    }
    const [ours, reference] = results;
    console.log(`${String(count).padStart(5)} clients  => ${(reference.cpuPer100k / ours.cpuPer100k).toFixed(2)}x messages ` +
                `per server CPU-second; p99 ${ours.p99.toFixed(1)} vs ${reference.p99.toFixed(1)} ms`);
  }
}
process.exit(0);
