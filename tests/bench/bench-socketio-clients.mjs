// SPDX-License-Identifier: GPL-3.0-or-later
// One client thread of tests/bench/bench-socketio.mjs: it opens its share
// of the clients, counts the events they receive while the main thread says
// so, and hands back the count and every latency it measured.
//
// Messages from the main thread: {type: 'count', on: true|false},
// {type: 'report'}, {type: 'close'}. Messages to it: {type: 'ready'},
// {type: 'error', message}, {type: 'report', messages, latencies,
// disconnected}.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(new URL('../js/package.json', import.meta.url));
const { io } = require('socket.io-client');
const WebSocket = require('ws');

const { url, count, token, clientKind, transport } = workerData;
const nowMs = () => performance.timeOrigin + performance.now();

let counting = false;
let messages = 0;
let latencies = [];

// Latency from the emit time the event carries: sentAt (ms, sub-ms
// precision) in the synthetic feeds, else the timestamp of status,
// progress and metrics (ms since the epoch, or an ISO date).
function onEvent(data, name) {
  if (!counting)
    return;
  messages++;
  if (!data || name === 'connected' || name === 'log')
    return;
  if (typeof data.sentAt === 'number')
    latencies.push(nowMs() - data.sentAt);
  else if (typeof data.timestamp === 'number')
    latencies.push(Date.now() - data.timestamp);
  else if (typeof data.timestamp === 'string')
    latencies.push(Date.now() - Date.parse(data.timestamp));
}

// A minimal WebSocket-only Socket.IO client: enough to join "/" and count
// events, with none of socket.io-client's per-packet machinery.
function rawConnect() {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
    { perMessageDeflate: false });
  const socket = { connected: false, disconnect: () => ws.terminate() };
  const ready = new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data, isBinary) => {
      if (isBinary)
        return;
      const text = data.toString();
      if (text[0] === '2') {
        ws.send('3');
      } else if (text.startsWith('0')) {
        ws.send(`40{"token":"${token}"}`);
      } else if (text.startsWith('40')) {
        socket.connected = true;
        resolve();
      } else if (text.startsWith('42')) {
        const [name, payload] = JSON.parse(text.slice(2));
        onEvent(payload, name);
      }
    });
    ws.on('close', () => { socket.connected = false; });
  });
  return { socket, ready };
}

function socketioConnect() {
  const socket = io(url, { transports: [transport], forceNew: true, reconnection: false, timeout: 20000,
    auth: { token } });
  socket.onAny((name, data) => onEvent(data, name));
  const ready = new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, ready };
}

const sockets = [];

async function connectAll() {
  const batch = 50;
  for (let i = 0; i < count; i += batch) {
    const connecting = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const { socket, ready } = clientKind === 'raw' ? rawConnect() : socketioConnect();
      sockets.push(socket);
      connecting.push(ready);
    }
    await Promise.all(connecting);
  }
}

parentPort.on('message', (message) => {
  if (message.type === 'count') {
    counting = message.on;
  } else if (message.type === 'report') {
    const report = Float64Array.from(latencies);
    parentPort.postMessage({
      type: 'report', messages, latencies: report,
      disconnected: sockets.filter((s) => !s.connected).length,
    }, [report.buffer]);
    messages = 0;
    latencies = [];
  } else if (message.type === 'close') {
    for (const socket of sockets)
      socket.disconnect();
    setTimeout(() => process.exit(0), 100);
  }
});

connectAll().then(() => parentPort.postMessage({ type: 'ready' }),
  (error) => parentPort.postMessage({ type: 'error', message: String(error && error.message || error) }));
