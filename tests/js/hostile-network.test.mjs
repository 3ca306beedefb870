// SPDX-License-Identifier: GPL-3.0-or-later
// `orderly --headless` against clients that hold connections without
// finishing a request: out of file descriptors, the server keeps a reserve
// for a health check and accepts again once descriptors are free; a
// slowloris's requests are cut off at the header deadline while others are
// served; a WebSocket client sending far more than a message may hold is
// told why before the connection ends.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import {
  makeDataDir, orderlyBin, removeDataDir, startServer, waitFor, OPERATOR_TOKEN,
} from './support/browser.mjs';

const require = createRequire(new URL('./package.json', import.meta.url));
const WebSocket = require('ws');

const skip = existsSync(orderlyBin) ? false : `Orderly is not built: ${orderlyBin}`;
const FD_LIMIT = 256;

/** Opens a connection that sends nothing; resolves once it is connected. */
function openSilent (port)
{
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    // Reads (and drops) what comes, so that the server's close is seen.
    socket.resume();
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

/** GET /health/live on a fresh connection; resolves to its status, or 0. */
function health (port, timeoutMs = 2000)
{
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    const done = (status) => { socket.destroy(); resolve(status); };
    socket.setTimeout(timeoutMs, () => done(0));
    socket.on('error', () => done(0));
    socket.on('data', (chunk) => {
      received += chunk;
      const match = /^HTTP\/1\.1 (\d+)/.exec(received);
      if (match)
        done(Number(match[1]));
    });
    socket.on('connect', () => socket.write(`GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
  });
}

/** Opens /ws with the operator token; resolves to { socket, status } once
 * the answer's status line is in (0 without one). */
function openWebSocket (port)
{
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    const timer = setTimeout(() => resolve({ socket, status: 0 }), 10000);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      received += chunk;
      const match = /^HTTP\/1\.1 (\d+)/.exec(received);
      if (match) {
        clearTimeout(timer);
        resolve({ socket, status: Number(match[1]) });
      }
    });
    socket.once('close', () => { clearTimeout(timer); resolve({ socket, status: 0 }); });
    socket.on('connect', () => socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      `Authorization: Bearer ${OPERATOR_TOKEN}\r\n\r\n`));
  });
}

/** A server of its own for the enclosing describe(), started with OPTIONS;
 * returns a function that gives it. */
function freshServer (options = {})
{
  let dataDir;
  let server;

  before(async () => {
    dataDir = makeDataDir();
    server = await startServer({ dataDir, ...options });
  });

  after(async () => {
    await server?.stop();
    removeDataDir(dataDir);
  });

  return () => server;
}

describe('out of file descriptors', { skip }, () => {
  const current = freshServer({ fdLimit: FD_LIMIT });

  it('answers a health check at the limit and accepts again once descriptors are free', async () => {
    const server = current();
    // Twice as many connections as the server may open descriptors.
    const silent = [];
    for (let i = 0; i < 2 * FD_LIMIT; i++)
      silent.push(await openSilent(server.port));

    await waitFor(async () => (await health(server.port)) === 200,
                  { timeoutMs: 20000, intervalMs: 100, what: 'a health check while the descriptors are taken' });

    for (const socket of silent)
      socket.destroy();
    // WebSockets, which the server cannot close to make room, leave it
    // descriptors for plain requests too.
    const upgraded = [];
    for (let i = 0; i < FD_LIMIT; i++)
      upgraded.push(await openWebSocket(server.port));
    assert.ok(upgraded.some((ws) => ws.status === 101));
    assert.ok(upgraded.some((ws) => ws.status === 503));
    assert.equal(await health(server.port, 10000), 200);
    for (const ws of upgraded)
      ws.socket.destroy();

    // Every later client is served: the server still accepts.
    for (let i = 0; i < 20; i++)
      assert.equal(await health(server.port, 10000), 200);
    assert.equal(server.child.exitCode, null);
  });
});

describe('slowloris', { skip }, () => {
  const current = freshServer();

  it('closes requests whose headers never end, and serves others meanwhile', async () => {
    const server = current();
    const slow = [];
    for (let i = 0; i < 1500; i++) {
      const socket = await openSilent(server.port);
      socket.write('GET /pedidos HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      slow.push(socket);
    }
    const closed = () => slow.filter((socket) => socket.destroyed).length;
    const timer = setInterval(() => {
      for (const socket of slow)
        if (!socket.destroyed)
          socket.write('X-Slow: a\r\n');
    }, 500);
    try {
      for (let i = 0; i < 10; i++)
        assert.equal(await health(server.port, 10000), 200);
      await waitFor(() => closed() === slow.length,
                    { timeoutMs: 60000, intervalMs: 200, what: `the server closing all ${slow.length} slow requests` });
    } finally {
      clearInterval(timer);
      for (const socket of slow)
        socket.destroy();
    }
  });
});

describe('a WebSocket message far over the limit', { skip }, () => {
  const current = freshServer();

  /** Sends one message of SIZE bytes on a new WebSocket to PATH; resolves
   * to the close code the client saw (1006: the connection was reset). */
  function sendTooMuch (path, size)
  {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${current().port}${path}`, {
        perMessageDeflate: false, headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` },
      });
      ws.on('open', () => ws.send('x'.repeat(size)));
      ws.on('close', (code) => resolve(code));
      ws.on('error', () => {});
    });
  }

  // The server refuses at the header, while the client is still sending:
  // were it to close with the rest unread, the reset could overtake the
  // close frame.
  for (const path of ['/ws', '/socket.io/?EIO=4&transport=websocket']) {
    it(`closes ${path.split('?')[0]} with 1009, every time`, async () => {
      const codes = [];
      for (let i = 0; i < 5; i++)
        codes.push(await sendTooMuch(path, 8 * 1024 * 1024));
      assert.deepEqual(codes, [1009, 1009, 1009, 1009, 1009]);
    });
  }
});
