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
//        [--transport websocket|polling] [--client-threads 2]
//        [--quantity 200000] [--work-us 1000] [--runs 3]
//        [--feed PATH] [--orderly PATH] [--baseline BUILD-DIR]
//
// Each measurement is made --runs times, the two servers taking turns, and
// the comparison is of the medians.
//
// The default client is a minimal Engine.IO/Socket.IO client on the `ws`
// package (connect, answer pings, JSON.parse every event); --client
// socket.io uses socket.io-client 4.8 instead. The clients are spread over
// --client-threads worker threads (bench-socketio-clients.mjs): one Node
// thread reading a thousand sockets would fall behind first, and its own
// backlog would then be what the latency measures. The harness's CPU load
// is printed beside each result.
//
// Two comparisons, each against the reference server emitting the same
// stream:
//   feed:    Orderly's Socket.IO layer (sio-bench-server) broadcasting a
//            synthetic feed of status, progress and log events;
//   orderly: the real `orderly --headless` during a run started by POST
//            /generate, whose hub sends status and progress every tick and
//            metrics every second; its CPU is that of the main-loop thread
//            (the hub and Socket.IO), not of the worker threads processing
//            orders. Each order costs --work-us (a slow downstream system),
//            so that the run's two workers leave the machine's processors to
//            the server and the harness, as the reference server, which
//            processes nothing, does; --work-us 0 --quantity 3000000 shows
//            the server during a run at full speed instead.
// --feed names the feed binary (default ORDERLY_SIO_BENCH_SERVER, else
// _build/tests/server/socketio/sio-bench-server), --orderly Orderly (default
// ORDERLY_BIN, else _build/src/orderly); --target feed|orderly|both picks.
//
// --baseline names another build directory, say of an older checkout: each
// comparison is then between the two builds' servers, the same feed binary
// or the same `orderly --headless` taking turns, instead of against the
// reference server, and prints the ratio of their CPU per message.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const clientThreads = Number(option('client-threads', '2'));
const runs = Math.max(1, Number(option('runs', '3')));
const tickMs = option('tick-ms', '100');
const transport = option('transport', 'websocket');
const clockTicks = 100;

const feedPath = join('tests', 'server', 'socketio', 'sio-bench-server');
const orderlyPath = join('src', 'orderly');
const feedBin = resolve(option('feed', process.env.ORDERLY_SIO_BENCH_SERVER || join(repoRoot, '_build', feedPath)));
const orderlyBin = resolve(option('orderly', process.env.ORDERLY_BIN || join(repoRoot, '_build', orderlyPath)));
const baselineDir = option('baseline', null);
const target = option('target', 'both');
const quantity = Number(option('quantity', '200000'));
const workUs = option('work-us', '1000');
const TOKEN = 'bench-operator-token-0123456789';
const referenceScript = join(repoRoot, 'tests', 'bench', 'bench-socketio-reference-server.mjs');
const clientScript = join(repoRoot, 'tests', 'bench', 'bench-socketio-clients.mjs');

// Against the reference server, or with --baseline the same server from
// the other build.
function other(server, reference) {
  if (baselineDir === null)
    return reference;
  const path = join(resolve(baselineDir), server.orderly ? orderlyPath : feedPath);
  if (!existsSync(path)) {
    console.error(`The baseline build has no ${path}`);
    process.exit(1);
  }
  return { ...server, name: `${server.name} (baseline)`, command: path };
}

const comparisons = [];
if (target !== 'orderly') {
  const feed = { name: 'Orderly socket.io layer', command: feedBin, args: ['--tick-ms', tickMs, '--logs-per-tick', logsPerTick] };
  comparisons.push({
    title: `feed: one status + one progress + ${logsPerTick} log events every ${tickMs} ms`,
    servers: [
      feed,
      other(feed, { name: 'socket.io 4.8 (Node)', command: process.execPath, args: [referenceScript, '--tick-ms', tickMs, '--logs-per-tick', logsPerTick] }),
    ],
  });
}
if (target !== 'feed' && existsSync(orderlyBin)) {
  const orderly = { name: 'orderly --headless', command: orderlyBin, orderly: true, mainThreadOnly: true };
  comparisons.push({
    title: `orderly: a run of ${quantity} orders at ${workUs} µs each; status + progress every 100 ms, metrics every second`,
    servers: [
      orderly,
      other(orderly, { name: 'socket.io 4.8 (Node)', command: process.execPath, args: [referenceScript, '--tick-ms', '100', '--logs-per-tick', '0', '--metrics-every', '10'] }),
    ],
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => performance.timeOrigin + performance.now();

function startServer({ command, args, orderly }) {
  let dataDir = null;
  if (orderly) {
    dataDir = mkdtempSync(join(tmpdir(), 'orderly-bench-'));
    args = ['--headless', '--port', '0', '--data-dir', dataDir, '--workers', '2', '--work-us', workUs];
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

// The clients, spread over --client-threads worker threads so that the
// harness's own backlog does not become what the latency measures.
class ClientPool {
  constructor(url, count) {
    const threads = Math.max(1, Math.min(clientThreads, count));
    this.workers = [];
    for (let i = 0; i < threads; i++) {
      const share = Math.floor(count / threads) + (i < count % threads ? 1 : 0);
      this.workers.push(new Worker(clientScript, {
        workerData: { url, count: share, token: TOKEN, clientKind, transport },
      }));
    }
  }

  #each(type, extra = {}) {
    return Promise.all(this.workers.map((worker) => new Promise((resolvePromise, reject) => {
      const onMessage = (message) => {
        if (message.type === 'error') {
          worker.off('message', onMessage);
          reject(new Error(message.message));
        } else if (message.type === type) {
          worker.off('message', onMessage);
          resolvePromise(message);
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      if (type !== 'ready')
        worker.postMessage({ type, ...extra });
    })));
  }

  ready() {
    return this.#each('ready');
  }

  count(on) {
    for (const worker of this.workers)
      worker.postMessage({ type: 'count', on });
  }

  async report() {
    const reports = await this.#each('report');
    const latencies = [];
    let messages = 0;
    let disconnected = 0;
    for (const report of reports) {
      messages += report.messages;
      disconnected += report.disconnected;
      for (const value of report.latencies)
        latencies.push(value);
    }
    return { messages, latencies, disconnected };
  }

  async close() {
    await Promise.all(this.workers.map((worker) => new Promise((resolvePromise) => {
      worker.once('exit', resolvePromise);
      worker.postMessage({ type: 'close' });
    })));
  }
}

function harnessCpuSeconds() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function measure(server, count) {
  const { child, url } = await startServer(server);
  let pool = null;
  try {
    pool = new ClientPool(url, count);
    await pool.ready();
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
    const harnessStart = harnessCpuSeconds();
    const started = nowMs();
    pool.count(true);
    await sleep(seconds * 1000);
    pool.count(false);
    const elapsed = (nowMs() - started) / 1000;
    const cpu = cpuSeconds(child.pid, server.mainThreadOnly) - cpuStart;
    const harnessCpu = harnessCpuSeconds() - harnessStart;
    const rss = rssMiB(child.pid);
    const { messages, latencies, disconnected } = await pool.report();
    return {
      server: server.name, clients: count,
      msgsPerSecond: messages / elapsed,
      p99: percentile(latencies, 0.99),
      p50: percentile(latencies, 0.5),
      cpuPer100k: messages > 0 ? cpu / messages * 100000 : NaN,
      harnessLoad: harnessCpu / elapsed,
      cpu, rss, disconnected,
    };
  } finally {
    if (pool !== null)
      await pool.close();
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
function median(values) {
  const sorted = Float64Array.from(values).sort();
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function printResult(label, result, mainThreadOnly) {
  console.log(`${label}  ${result.server.padEnd(24)}` +
              `  ${result.msgsPerSecond.toFixed(0).padStart(7)} msgs/s` +
              `  p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99.toFixed(1).padStart(6)} ms` +
              `  ${result.cpuPer100k.toFixed(3).padStart(6)} CPU s/100k msgs` +
              (mainThreadOnly ? ' (main thread)' : '') +
              `  RSS ${result.rss.toFixed(1).padStart(6)} MiB` +
              `  harness ${(result.harnessLoad * 100).toFixed(0).padStart(3)}% CPU` +
              (result.disconnected ? `  (${result.disconnected} disconnected)` : ''));
}

// The runs of one server, as one result of medians.
function medianResult(runs) {
  const result = { server: runs[0].server, disconnected: Math.max(...runs.map((r) => r.disconnected)) };
  for (const key of ['msgsPerSecond', 'p50', 'p99', 'cpuPer100k', 'rss', 'harnessLoad'])
    result[key] = median(runs.map((r) => r[key]));
  return result;
}

for (const comparison of comparisons) {
  console.log(`\n${comparison.title}`);
  for (const count of clientCounts) {
    const runsByServer = comparison.servers.map(() => []);
    // The servers take turns, so that a noisy moment touches both.
    for (let run = 1; run <= runs; run++) {
      for (const [index, server] of comparison.servers.entries()) {
        const result = await measure(server, count);
        runsByServer[index].push(result);
        printResult(`${String(count).padStart(5)} clients  run ${String(run).padEnd(2)}`, result, server.mainThreadOnly);
      }
    }
    const [ours, reference] = runsByServer.map(medianResult);
    if (runs > 1) {
      for (const [index, server] of comparison.servers.entries())
        printResult(`${String(count).padStart(5)} clients  median`, index === 0 ? ours : reference, server.mainThreadOnly);
    }
    const of = runs > 1 ? ` (medians of ${runs} runs)` : '';
    if (baselineDir !== null)
      console.log(`${String(count).padStart(5)} clients  => CPU per message ${(ours.cpuPer100k / reference.cpuPer100k).toFixed(2)}x ` +
                  `the baseline's; p99 ${ours.p99.toFixed(1)} vs ${reference.p99.toFixed(1)} ms${of}`);
    else
      console.log(`${String(count).padStart(5)} clients  => ${(reference.cpuPer100k / ours.cpuPer100k).toFixed(2)}x messages ` +
                  `per server CPU-second; p99 ${ours.p99.toFixed(1)} vs ${reference.p99.toFixed(1)} ms${of}`);
  }
}
process.exit(0);
