// SPDX-License-Identifier: GPL-3.0-or-later
// The reference for tests/bench/bench-socketio.mjs: the socket.io 4.8 npm
// server with its defaults (compression off), broadcasting the same feed as
// Orderly's sio-bench-server: every tick one `status`, one `progress` and
// --logs-per-tick `log` events to every client.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../js/package.json', import.meta.url));
const { Server } = require('socket.io');

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

const tickMs = option('tick-ms', 100);
const logsPerTick = option('logs-per-tick', 8);
// With --metrics-every N, a `metrics` event every N ticks too, as Orderly's
// hub sends during a run.
const metricsEvery = option('metrics-every', 0);
const nowMs = () => performance.timeOrigin + performance.now();

const http = createServer();
const io = new Server(http, { serveClient: false });
let tick = 0;
let line = 0;

setInterval(() => {
  if (io.engine.clientsCount === 0)
    return;
  tick++;
  io.emit('status', {
    phase: 'WAITING_NORMAL_DRAIN', generationTimeMs: 1520, enqueueVipTimeMs: 210, enqueueNormalTimeMs: 880,
    processing: {
      vip: { start: '2026-11-25T17:00:00.000Z', end: '2026-11-25T17:00:04.000Z', timeMs: 4000, count: tick },
      normal: { start: '2026-11-25T17:00:04.000Z', end: null, timeMs: tick * 100, count: tick * 7 },
    },
    totalTimeMs: tick * 100,
    counts: { vip: 100000, normal: 900000 },
    throughput: { vip: 25000.0, normal: 21000.5, overall: 22000.25 },
    eta: { estimatedMs: 30000, progressPercent: 42.5 },
    progress: { target: 1000000, generated: 1000000, processedTotal: tick * 9 },
    timestamp: '2026-11-25T17:00:10.000Z', message: 'Processing', sentAt: nowMs(),
  });
  io.emit('progress', {
    phase: 'WAITING_NORMAL_DRAIN', progress: 42.5, total: 1000000, current: tick * 9,
    message: 'Processing normal orders', vipProcessed: 100000, normalProcessed: tick * 8,
    generationTime: 1520, vipProcessingTime: 4000, normalProcessingTime: tick * 100,
    timestamp: '2026-11-25T17:00:10.000Z', sentAt: nowMs(),
  });
  if (metricsEvery > 0 && tick % metricsEvery === 0) {
    io.emit('metrics', {
      timestamp: new Date().toISOString(), phase: 'WAITING_NORMAL_DRAIN', processedTotal: tick * 9,
      throughput: 61633.281972265, queueWaiting: 120000, activeWorkers: 2, clients: io.engine.clientsCount,
      messagesSent: tick * 1000, messagesDropped: 0, sentAt: nowMs(),
    });
  }
  for (let i = 0; i < logsPerTick; i++) {
    line++;
    io.emit('log', {
      timestamp: Date.now(), level: 'log',
      message: `Worker 3 processed order ${line} (NORMAL, 12999 cents)`,
      category: 'processing', data: { orderId: line, worker: 3 }, sentAt: nowMs(),
    });
  }
}, tickMs);

http.listen(0, '127.0.0.1', () => {
  console.log(`Reference listening on http://127.0.0.1:${http.address().port}/`);
});
