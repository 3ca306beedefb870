// SPDX-License-Identifier: GPL-3.0-or-later
// bench-attack: hostile loopback clients against `orderly --headless`, one
// flood at a time, each on a fresh server: deep JSON, WebSocket pings never
// read, connections past the descriptor limit, 1 GB bodies (Content-Length
// and chunked), Engine.IO handshakes without a token, slowloris, login
// guessing (with viewer logins between), guesses from 10,001 addresses
// against a blocked one, a /ws command flood never read. Every flood is bounded in count
// and time (and stopped early when the server passes --rss-cap-mb, so an
// old build cannot take the machine down). Printed per flood:
//
//   alive    the process still runs and answers GET /health/live within 5 s
//            once the flood is over
//   peak RSS VmHWM of the server (from /proc/PID/status)
//   p50/p99  of a healthy operator's GET /pedidos, one every 100 ms on its
//            own keep-alive connection, during the flood (a request that
//            gets no answer within 5 s counts as 5 s, and as lost)
//
// against the target: alive, peak RSS < 300 MB, p99 < 1 s.
//
//   node tests/bench/bench-attack.mjs [--orderly PATH] [--seconds S]
//        [--only NAME,NAME] [--rss-cap-mb MB]
//
// --orderly names the binary (default ORDERLY_BIN, else _build/src/orderly),
// so that an older build can be measured the same way.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function option (name, fallback)
{
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const orderlyBin = resolve(option('orderly', process.env.ORDERLY_BIN ?? join(repoRoot, '_build', 'src', 'orderly')));
const seconds = Number(option('seconds', '12'));
const only = option('only', null)?.split(',');
const rssCapKib = Number(option('rss-cap-mb', '2000')) * 1024;

const OPERATOR = 'operator-token-for-bench-attack-0123456789';
const VIEWER = 'viewer-token-for-bench-attack-9876543210';
const TARGET_RSS_MB = 300;
const TARGET_P99_MS = 1000;
const HEALTHY_TIMEOUT_MS = 5000;
const HEALTHY_ADDRESS = '127.0.0.2';

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

// The server

function startServer ({ fdLimit = 0 } = {})
{
  const dataDir = mkdtempSync(join(tmpdir(), 'orderly-bench-attack-'));
  let args = ['--headless', '--port', '0', '--data-dir', dataDir];
  let program = orderlyBin;
  if (fdLimit > 0) {
    args = [`--nofile=${fdLimit}:${fdLimit}`, '--', orderlyBin, ...args];
    program = 'prlimit';
  }
  const child = spawn(program, args, {
    env: { ...process.env, GSETTINGS_BACKEND: 'memory', ORDERLY_OPERATOR_TOKEN: OPERATOR, ORDERLY_VIEWER_TOKEN: VIEWER },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.resume();
  const exited = new Promise((done) => child.once('exit', done));
  return new Promise((resolveStart, rejectStart) => {
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      const match = /Orderly listening on http:\/\/[^:]+:(\d+)\//.exec(pending);
      if (match)
        resolveStart({ port: Number(match[1]), child, exited, dataDir });
    });
    child.once('exit', (code) => rejectStart(new Error(`${orderlyBin} exited (${code}) before listening`)));
  });
}

async function stopServer (server)
{
  if (server.child.exitCode === null && server.child.signalCode === null)
    server.child.kill('SIGKILL');
  await server.exited;
  rmSync(server.dataDir, { recursive: true, force: true });
}

function readStatus (pid, field)
{
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

// The healthy client

function timedGet (agent, port, path, token, timeoutMs, localAddress = undefined)
{
  return new Promise((done) => {
    const started = performance.now();
    const request = http.get({ host: '127.0.0.1', port, path, agent, localAddress,
                               headers: { Authorization: `Bearer ${token}` } },
                             (response) => {
                               response.resume();
                               response.once('end', () => done({ ms: performance.now() - started, status: response.statusCode }));
                             });
    request.setTimeout(timeoutMs, () => { request.destroy(); done({ ms: timeoutMs, status: 0 }); });
    request.once('error', () => done({ ms: Math.min(performance.now() - started, timeoutMs), status: 0 }));
  });
}

function healthyClient (port)
{
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  let lost = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      // From an address of its own: the guessers' block is not its own.
      const { ms, status } = await timedGet(agent, port, '/pedidos', OPERATOR, HEALTHY_TIMEOUT_MS, HEALTHY_ADDRESS);
      latencies.push(status === 200 ? ms : HEALTHY_TIMEOUT_MS);
      if (status !== 200)
        lost++;
      await sleep(100);
    }
  })();
  return {
    async stop () {
      running = false;
      await loop;
      agent.destroy();
      return { latencies, lost };
    },
  };
}

function percentile (values, p)
{
  if (values.length === 0)
    return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// Raw clients

function connect (port)
{
  return new Promise((done) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.once('connect', () => done(socket));
    socket.once('close', () => done(socket));
  });
}

/** Writes as fast as the socket takes it until `until` says stop. */
async function pump (socket, chunk, until)
{
  while (!socket.destroyed && !until()) {
    if (!socket.write(chunk)) {
      await new Promise((done) => {
        const finish = () => {
          clearTimeout(timer);
          socket.off('drain', finish);
          socket.off('close', finish);
          done();
        };
        const timer = setTimeout(finish, 200);
        socket.once('drain', finish);
        socket.once('close', finish);
      });
    }
  }
}

function wsHandshake (path, headers = '')
{
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
         `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`;
}

/** A masked client frame. */
function wsFrame (opcode, payload)
{
  const data = Buffer.from(payload);
  const mask = Buffer.from([1, 2, 3, 4]);
  let header;
  if (data.length < 126) {
    header = Buffer.from([0x80 | opcode, 0x80 | data.length]);
  } else if (data.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode; header[1] = 0x80 | 126; header.writeUInt16BE(data.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode; header[1] = 0x80 | 127; header.writeBigUInt64BE(BigInt(data.length), 2);
  }
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++)
    masked[i] = data[i] ^ mask[i & 3];
  return Buffer.concat([header, mask, masked]);
}

function httpRequest (port, method, path, { body = null, headers = {} } = {})
{
  return new Promise((done) => {
    const request = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.once('end', () => done({ status: response.statusCode, text }));
    });
    request.setTimeout(10000, () => { request.destroy(); done({ status: 0, text: '' }); });
    request.once('error', () => done({ status: 0, text: '' }));
    request.end(body);
  });
}

// The floods: each gets (server, stopAt, state) and runs until stopAt() is true.

const floods = [
  {
    name: 'deep-json',
    what: 'Socket.IO packets nested 100,000 deep, over polling and WebSocket',
    async run (server, stop, note) {
      const deep = '42' + '['.repeat(100000);
      let sent = 0;
      while (!stop() && sent < 50) {
        const open = await httpRequest(server.port, 'GET', '/socket.io/?EIO=4&transport=polling');
        const sid = /"sid":"([^"]+)"/.exec(open.text)?.[1];
        if (sid)
          await httpRequest(server.port, 'POST', `/socket.io/?EIO=4&transport=polling&sid=${sid}`,
                            { body: deep, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
        const socket = await connect(server.port);
        socket.write(wsHandshake('/socket.io/?EIO=4&transport=websocket'));
        socket.write(wsFrame(1, deep));
        await sleep(100);
        socket.destroy();
        sent += 2;
      }
      note(`${sent} packets`);
    },
  },
  {
    name: 'ping-no-read',
    what: 'WebSocket pings on Socket.IO, never reading the pongs',
    async run (server, stop, note) {
      const socket = await connect(server.port);
      socket.pause();
      socket.write(wsHandshake('/socket.io/?EIO=4&transport=websocket'));
      const pings = Buffer.concat(Array.from({ length: 1000 }, () => wsFrame(9, 'x'.repeat(125))));
      let batches = 0;
      await pump(socket, pings, () => stop() || ++batches > 200000);
      note(`${batches * 1000} pings written`);
      socket.destroy();
    },
  },
  {
    name: 'emfile',
    what: 'silent connections past the descriptor limit (server at 1024)',
    fdLimit: 1024,
    async run (server, stop, note) {
      const sockets = [];
      while (!stop() && sockets.length < 2000)
        sockets.push(await connect(server.port));
      while (!stop())
        await sleep(100);
      for (const socket of sockets)
        socket.destroy();
      note(`${sockets.length} connections, all closed before the alive check`);
    },
  },
  {
    name: 'body-cl',
    what: '4 parallel POST /generate of Content-Length 1 GB',
    async run (server, stop, note) {
      const chunk = Buffer.alloc(1 << 20, 0x20);
      let total = 0;
      let requests = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        // Again each time the server closes, up to 1 GB and 100 requests each.
        let mine = 0;
        for (let i = 0; i < 100 && !stop() && mine < (1 << 30); i++) {
          const socket = await connect(server.port);
          socket.write(`POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${OPERATOR}\r\n` +
                       'Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n');
          requests++;
          await pump(socket, chunk, () => { total += chunk.length; mine += chunk.length; return stop() || mine >= (1 << 30); });
          socket.destroy();
        }
      }));
      note(`${requests} requests, ${(total / (1 << 20)).toFixed(0)} MiB offered`);
    },
  },
  {
    name: 'body-chunked',
    what: 'chunked bodies of up to 1 GB to /generate, /ws and /socket.io/',
    async run (server, stop, note) {
      const payload = Buffer.alloc(1 << 20, 0x20);
      const chunk = Buffer.concat([Buffer.from('100000\r\n'), payload, Buffer.from('\r\n')]);
      const targets = ['POST /generate', 'GET /ws', 'POST /socket.io/?EIO=4&transport=polling&sid=x', 'POST /generate'];
      let total = 0;
      let requests = 0;
      await Promise.all(targets.map(async (target) => {
        let mine = 0;
        for (let i = 0; i < 100 && !stop() && mine < (1 << 30); i++) {
          const socket = await connect(server.port);
          socket.write(`${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${OPERATOR}\r\n` +
                       'Transfer-Encoding: chunked\r\n\r\n');
          requests++;
          await pump(socket, chunk, () => { total += payload.length; mine += payload.length; return stop() || mine >= (1 << 30); });
          socket.destroy();
        }
      }));
      note(`${requests} requests, ${(total / (1 << 20)).toFixed(0)} MiB offered`);
    },
  },
  {
    name: 'handshake-flood',
    what: 'Engine.IO polling handshakes without a token, 200 at a time',
    async run (server, stop, note) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
      let handshakes = 0;
      await Promise.all(Array.from({ length: 200 }, async () => {
        while (!stop() && handshakes < 100000) {
          await new Promise((done) => {
            const request = http.get({ host: '127.0.0.1', port: server.port, agent,
                                       path: '/socket.io/?EIO=4&transport=polling' }, (response) => {
              response.resume();
              response.once('end', done);
            });
            request.setTimeout(5000, () => { request.destroy(); done(); });
            request.once('error', () => setTimeout(done, 50));
          });
          handshakes++;
        }
      }));
      agent.destroy();
      note(`${handshakes} handshakes`);
    },
  },
  {
    name: 'slowloris',
    what: '3,000 connections sending a header line a second, never finishing',
    async run (server, stop, note) {
      const sockets = [];
      while (!stop() && sockets.length < 3000) {
        const socket = await connect(server.port);
        socket.write('GET /pedidos HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        sockets.push(socket);
      }
      let line = 0;
      while (!stop()) {
        for (const socket of sockets)
          if (!socket.destroyed)
            socket.write(`X-Slow-${line}: a\r\n`);
        line++;
        await sleep(1000);
      }
      const open = sockets.filter((socket) => !socket.destroyed).length;
      for (const socket of sockets)
        socket.destroy();
      note(`${sockets.length} connections, ${open} still open at the end`);
    },
  },
  {
    name: 'login-guessing',
    what: 'wrong tokens on GET /session and /pedidos, a viewer login every 5th request',
    async run (server, stop, note) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      let guesses = 0;
      let refused = 0;
      let firstRefusal = null;
      for (let i = 0; !stop() && guesses < 2000; i++) {
        // A success between the guesses must not wipe their count.
        const viewer = i % 5 === 4;
        const path = i % 2 === 0 ? '/session' : '/pedidos';
        const { status } = await timedGet(agent, server.port, path, viewer ? VIEWER : `guess-${i}`, 5000);
        if (!viewer)
          guesses++;
        if (status === 429 && !viewer) {
          refused++;
          firstRefusal ??= guesses;
        }
      }
      agent.destroy();
      note(`${guesses} guesses, first 429 after ${firstRefusal ?? 'none'}, ${refused} refused`);
    },
  },
  {
    name: 'login-flush',
    what: 'one address blocked, then guesses from 10,001 other loopback addresses',
    async run (server, stop, note) {
      const guess = (localAddress, token = 'wrong') => timedGet(false, server.port, '/pedidos', token, 5000, localAddress);
      for (let i = 0; i < 20; i++)
        await guess('127.0.0.3');
      const before = (await guess('127.0.0.3', OPERATOR)).status;
      let sent = 0;
      const addresses = Array.from({ length: 10001 }, (_, i) => `127.1.${(i >> 8) & 0xff}.${i & 0xff}`);
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (!stop() && sent < addresses.length)
          await guess(addresses[sent++]);
      }));
      const after = (await guess('127.0.0.3', OPERATOR)).status;
      note(`the blocked address with the operator token: ${before} before, ${after} after ${sent} other addresses`);
    },
  },
  {
    name: 'ws-command-flood',
    what: 'a viewer on /ws sending get-status and get-runs, never reading',
    async run (server, stop, note) {
      const socket = await connect(server.port);
      socket.pause();
      socket.write(wsHandshake('/ws', `Authorization: Bearer ${VIEWER}\r\n`));
      const commands = Buffer.concat(Array.from({ length: 500 }, (_, i) =>
        wsFrame(1, JSON.stringify({ event: i % 2 ? 'get-runs' : 'get-status', id: String(i) }))));
      let batches = 0;
      await pump(socket, commands, () => stop() || ++batches > 100000);
      note(`${batches * 500} commands written`);
      socket.destroy();
    },
  },
];

async function alive (server)
{
  if (server.child.exitCode !== null || server.child.signalCode !== null)
    return false;
  const { status } = await timedGet(false, server.port, '/health/live', OPERATOR, HEALTHY_TIMEOUT_MS);
  return status === 200 && server.child.exitCode === null;
}

async function runFlood (flood)
{
  const server = await startServer({ fdLimit: flood.fdLimit ?? 0 });
  const pid = server.child.pid;
  const baseline = await timedGet(false, server.port, '/pedidos', OPERATOR, HEALTHY_TIMEOUT_MS);
  const healthy = healthyClient(server.port);
  const deadline = Date.now() + seconds * 1000;
  let capped = false;
  let peakKib = 0;
  const stop = () => {
    // Sampled as it goes too: a process that dies takes its VmHWM along.
    peakKib = Math.max(peakKib, readStatus(pid, 'VmHWM'));
    if (readStatus(pid, 'VmRSS') > rssCapKib)
      capped = true;
    return capped || Date.now() >= deadline || server.child.exitCode !== null || server.child.signalCode !== null;
  };
  let detail = '';
  const started = performance.now();
  const attack = flood.run(server, stop, (text) => { detail = text; }).catch((error) => { detail = `flood error: ${error.message}`; });
  const sampler = setInterval(stop, 100);
  await attack;
  clearInterval(sampler);
  const took = (performance.now() - started) / 1000;
  const { latencies, lost } = await healthy.stop();
  await sleep(500);
  const isAlive = await alive(server);
  peakKib = Math.max(peakKib, readStatus(pid, 'VmHWM'));
  await stopServer(server);
  return {
    name: flood.name, what: flood.what, alive: isAlive, peakMb: peakKib / 1024, capped,
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length, lost,
    baselineMs: baseline.ms, took, detail,
  };
}

if (!existsSync(orderlyBin)) {
  console.error(`No Orderly binary at ${orderlyBin}: build it, or name one with --orderly`);
  process.exit(1);
}

console.log(`bench-attack: ${orderlyBin}, ${seconds} s per flood, loopback only`);
console.log(`target: alive, peak RSS < ${TARGET_RSS_MB} MB, healthy p99 < ${TARGET_P99_MS} ms\n`);
const header = ['flood', 'alive', 'peak RSS', 'p50 ms', 'p99 ms', 'lost', 'target'];
console.log(header[0].padEnd(18) + header.slice(1).map((h) => h.padStart(10)).join(''));
let allMet = true;
for (const flood of floods) {
  if (only && !only.includes(flood.name))
    continue;
  const result = await runFlood(flood);
  const met = result.alive && result.peakMb < TARGET_RSS_MB && result.p99 < TARGET_P99_MS;
  allMet &&= met;
  const rss = `${result.peakMb.toFixed(0)} MB${result.capped ? '+' : ''}`;
  console.log(result.name.padEnd(18) + [result.alive ? 'yes' : 'NO', rss, result.p50.toFixed(1), result.p99.toFixed(1),
    `${result.lost}/${result.n}`, met ? 'met' : 'MISSED'].map((cell) => String(cell).padStart(10)).join(''));
  console.log(`${''.padEnd(18)}${result.what}; ${result.detail}; ${result.took.toFixed(1)} s` +
              `${result.capped ? `; stopped at the ${rssCapKib / 1024} MB cap` : ''}; idle GET /pedidos ${result.baselineMs.toFixed(1)} ms`);
}
console.log(allMet ? '\nEvery flood met the target.' : '\nSome floods missed the target.');
