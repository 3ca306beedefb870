// SPDX-License-Identifier: GPL-3.0-or-later
// Stock socket.io-client 4.8 against the real `orderly --headless`, fed by
// the same hub and dispatcher as /ws: the three ways front ends connect,
// runs started over Socket.IO and over REST, acks, tokens and roles, and
// reconnection after a restart.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { repoRoot, startServer, sleep } from './support/socketio-harness.mjs';

const orderlyBin = process.env.ORDERLY_BIN || join(repoRoot, '_build', 'src', 'orderly');
const skip = existsSync(orderlyBin) ? false : `Orderly is not built: ${orderlyBin}`;
const OPERATOR = 'sio-operator-token-0123456789';
const VIEWER = 'sio-viewer-token-0123456789';
const env = { ORDERLY_OPERATOR_TOKEN: OPERATOR, ORDERLY_VIEWER_TOKEN: VIEWER };

const modes = {
  websocket: { transports: ['websocket', 'polling'] },
  polling: { transports: ['polling'] },
  default: {},
};

let server;
let dataDir;

function orderly(port = 0) {
  return startServer({ command: orderlyBin, args: ['--headless', '--port', String(port), '--data-dir', dataDir], env });
}

before(async () => {
  if (skip)
    return;
  dataDir = mkdtempSync(join(tmpdir(), 'orderly-sio-test-'));
  server = await orderly();
});

after(async () => {
  if (server)
    await server.stop();
  if (dataDir)
    rmSync(dataDir, { recursive: true, force: true });
});

function connect(options = {}) {
  return io(server.url, { timeout: 5000, forceNew: true, reconnection: false, ...options });
}

function once(emitter, event, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

// Records every event in order, and resolves waits on a predicate.
function record(socket) {
  const events = [];
  const waiters = [];
  socket.onAny((name, data) => {
    events.push({ name, data });
    for (const waiter of [...waiters]) {
      if (waiter.test(name, data)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(data);
      }
    }
  });
  return {
    events,
    waitFor(test, timeoutMs = 15000) {
      const found = events.find((e) => test(e.name, e.data));
      if (found)
        return Promise.resolve(found.data);
      return new Promise((resolve, reject) => {
        const waiter = { test, resolve };
        waiters.push(waiter);
        setTimeout(() => reject(new Error('timed out waiting for an event')), timeoutMs);
      });
    },
  };
}

const isDone = (name, data) => name === 'status' && data.phase === 'DONE';

async function waitIdle() {
  // A run from an earlier test must be over before the next one starts.
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${server.url}/pedidos`, { headers: { Authorization: `Bearer ${OPERATOR}` } });
    const status = await res.json();
    if (!['GENERATING', 'ENQUEUE_VIP', 'WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN'].includes(status.phase))
      return;
    await sleep(100);
  }
}

// The status that connecting brings may be the DONE of the run before: wait
// for this run's DONE, its last progress and its log line.
// Counts are grouped by three in the locale's way (a comma where it has none).
const ungrouped = (text) => text.replace(/(\d)[^\d\s-](?=\d{3}\b)/gu, '$1');

async function waitWholeRun(recorder, quantity) {
  await recorder.waitFor((name, data) => isDone(name, data) && data.progress.processedTotal === quantity);
  await recorder.waitFor((name, data) => name === 'progress' && data.phase === 'DONE' && data.progress === 100);
  await recorder.waitFor((name, data) => name === 'log' && ungrouped(data.message).includes(String(quantity)));
}

function checkWholeRun(recorder, quantity) {
  const names = recorder.events.map((e) => e.name);
  assert.equal(names[0], 'connected', `first event: ${names[0]}`);
  assert.equal(names[1], 'status');
  const connected = recorder.events[0].data;
  assert.equal(typeof connected.clientId, 'string');
  assert.equal(typeof connected.timestamp, 'number');
  assert.ok(names.includes('progress'), 'progress events');
  const logs = recorder.events.filter((e) => e.name === 'log').map((e) => e.data);
  assert.ok(logs.length >= 3, `log events: ${logs.length}`);
  for (const log of logs) {
    assert.ok(!Array.isArray(log), 'each log line is its own event');
    assert.equal(typeof log.message, 'string');
    assert.ok(['log', 'warn', 'error'].includes(log.level));
    assert.equal(typeof log.timestamp, 'number');
  }
  assert.ok(logs.some((l) => ungrouped(l.message).includes(String(quantity))), 'a log line about this run');
  const done = recorder.events.filter((e) => isDone(e.name, e.data)).pop().data;
  assert.equal(done.progress.processedTotal, quantity);
  assert.equal(done.counts.vip + done.counts.normal, quantity);
  const lastProgress = recorder.events.filter((e) => e.name === 'progress').pop().data;
  assert.equal(lastProgress.phase, 'DONE');
  assert.equal(lastProgress.progress, 100);
}

for (const [mode, options] of Object.entries(modes)) {
  describe(`Socket.IO client, ${mode}`, { skip }, () => {
    it('connects and gets connected, then status, then the log tail', async () => {
      const socket = connect({ ...options, auth: { token: VIEWER } });
      const recorder = record(socket);
      await once(socket, 'connect');
      await recorder.waitFor((name) => name === 'status');
      assert.equal(recorder.events[0].name, 'connected');
      assert.equal(recorder.events[1].name, 'status');
      assert.equal(typeof recorder.events[1].data.phase, 'string');
      socket.disconnect();
    });

    it('follows a whole run started with emit("start-generation"), answered by an ack', async () => {
      await waitIdle();
      const quantity = 3000 + Object.keys(modes).indexOf(mode);
      const socket = connect({ ...options, auth: { token: OPERATOR } });
      const recorder = record(socket);
      await once(socket, 'connect');
      await recorder.waitFor((name) => name === 'status');
      const answer = await socket.timeout(5000).emitWithAck('start-generation', { quantity, force: false });
      assert.equal(typeof answer.message, 'string');
      assert.equal(answer.forced, false);
      await waitWholeRun(recorder, quantity);
      checkWholeRun(recorder, quantity);
      if (mode === 'default')
        assert.equal(socket.io.engine.transport.name, 'websocket', 'upgraded');
      socket.disconnect();
    });

    it('follows a whole run started with POST /generate', async () => {
      await waitIdle();
      const quantity = 4000 + Object.keys(modes).indexOf(mode);
      const socket = connect({ ...options, auth: { token: VIEWER } });
      const recorder = record(socket);
      await once(socket, 'connect');
      await recorder.waitFor((name) => name === 'status');
      const res = await fetch(`${server.url}/generate`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${OPERATOR}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ quantity, force: false }),
      });
      assert.equal(res.status, 202);
      await waitWholeRun(recorder, quantity);
      checkWholeRun(recorder, quantity);
      socket.disconnect();
    });

    it('answers get-status through the ack, and with a status event without one', async () => {
      const socket = connect({ ...options, auth: { token: VIEWER } });
      const recorder = record(socket);
      await once(socket, 'connect');
      const status = await socket.timeout(5000).emitWithAck('get-status');
      assert.equal(typeof status.phase, 'string');
      assert.ok('progress' in status && 'counts' in status);
      const before = recorder.events.filter((e) => e.name === 'status').length;
      socket.emit('get-status');
      await recorder.waitFor(() => recorder.events.filter((e) => e.name === 'status').length > before);
      socket.disconnect();
    });

    it('refuses control to a viewer with the error object in the ack', async () => {
      const socket = connect({ ...options, auth: { token: VIEWER } });
      await once(socket, 'connect');
      for (const event of ['cancel-operation', 'reset-system', 'resume-run']) {
        const answer = await socket.timeout(5000).emitWithAck(event);
        assert.equal(answer.statusCode, 403, event);
        assert.equal(typeof answer.message, 'string');
      }
      const refused = await socket.timeout(5000).emitWithAck('start-generation', { quantity: 10 });
      assert.equal(refused.statusCode, 403);
      socket.disconnect();
    });

    it('refuses a wrong or missing token with a message the client shows', async () => {
      for (const auth of [{ token: 'not-a-token' }, {}]) {
        const socket = connect({ ...options, auth });
        const [error] = await once(socket, 'connect_error');
        assert.match(error.message, /token/i);
        assert.equal(socket.connected, false);
        socket.disconnect();
      }
    });
  });
}

describe('Socket.IO tokens and commands', { skip }, () => {
  it('takes the token from the query or the session cookie too', async () => {
    for (const options of [
      { query: { token: VIEWER } },
      { extraHeaders: { Cookie: `orderly_session=${VIEWER}` } },
    ]) {
      for (const transports of [['websocket'], ['polling']]) {
        const socket = connect({ transports, ...options });
        await once(socket, 'connect');
        const status = await socket.timeout(5000).emitWithAck('get-status');
        assert.equal(typeof status.phase, 'string');
        socket.disconnect();
      }
    }
  });

  it('answers every client event through its ack', async () => {
    await waitIdle();
    const socket = connect({ transports: ['websocket'], auth: { token: OPERATOR } });
    await once(socket, 'connect');
    const cancel = await socket.timeout(5000).emitWithAck('cancel-operation');
    assert.equal(typeof cancel.message, 'string');
    const resume = await socket.timeout(5000).emitWithAck('resume-run');
    assert.equal(resume.statusCode, 409);
    const bad = await socket.timeout(5000).emitWithAck('start-generation', { quantity: -1 });
    assert.equal(bad.statusCode, 400);
    const unknown = await socket.timeout(5000).emitWithAck('no-such-event');
    assert.equal(unknown.statusCode, 404);
    const reset = await socket.timeout(5000).emitWithAck('reset-system');
    assert.equal(typeof reset.deletedOrders, 'number');
    socket.disconnect();
  });

  it('lists Socket.IO clients with their transport and role', async () => {
    const socket = connect({ transports: ['websocket'], auth: { token: VIEWER } });
    await once(socket, 'connect');
    await sleep(100);
    const res = await fetch(`${server.url}/clients`, { headers: { Authorization: `Bearer ${OPERATOR}` } });
    const clients = await res.json();
    const mine = clients.find((c) => JSON.stringify(c).includes('socket.io'));
    assert.ok(mine, JSON.stringify(clients));
    assert.match(JSON.stringify(mine), /viewer/);
    socket.disconnect();
  });

  it('the conformance endpoints are off by default', async () => {
    const res = await fetch(`${server.url}/engine.io/?EIO=4&transport=polling`);
    assert.notEqual(res.status, 200);
  });
});

describe('Socket.IO delivery to a slow polling client', { skip }, () => {
  it('status and progress are latest-wins, log lines all arrive in order', async () => {
    await waitIdle();
    const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = JSON.parse(open.slice(1)).sid;
    const url = `${base}&sid=${sid}`;
    const post = (body) => fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
    await post(`40{"token":"${VIEWER}"}`);
    const first = (await (await fetch(url)).text()).split('\x1e');
    assert.ok(first[0].startsWith('40{"sid":'));
    assert.ok(first[1].startsWith('42["connected",'));
    assert.ok(first[2].startsWith('42["status",'));

    const res = await fetch(`${server.url}/generate`, {
      method: 'POST', body: JSON.stringify({ quantity: 200000, force: false }),
      headers: { Authorization: `Bearer ${OPERATOR}`, 'Content-Type': 'application/json' },
    });
    assert.equal(res.status, 202);
    // Not polling for a while, but answering pings so the session lives.
    const seen = [];
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      await sleep(250);
      await post('3');
    }
    for (let i = 0; i < 3; i++) {
      const body = await (await fetch(url)).text();
      seen.push(body.split('\x1e'));
      if (i === 0) {
        const packets = seen[0];
        const names = packets.filter((p) => p.startsWith('42')).map((p) => JSON.parse(p.slice(2))[0]);
        assert.ok(names.filter((n) => n === 'status').length <= 1, `stale statuses queued: ${names}`);
        assert.ok(names.filter((n) => n === 'progress').length <= 1, `stale progress queued: ${names}`);
        assert.ok(names.includes('log'), `log lines: ${names}`);
      }
      await post('3');
    }
    await post('41\x1e1');
    await waitIdle();
  });
});

describe('Socket.IO polling client that hangs up', { skip }, () => {
  it('its session ends as soon as it drops the connection of a long poll', async () => {
    await waitIdle();
    const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const { sid, pingInterval, pingTimeout } = JSON.parse(open.slice(1));
    const url = `${base}&sid=${sid}`;
    const post = (body) => fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
    assert.equal(await (await post(`40{"token":"${VIEWER}"}`)).text(), 'ok');
    assert.ok((await (await fetch(url)).text()).startsWith('40{"sid":'));

    // The long poll, on a connection of its own that can be dropped.
    const { hostname, port } = new URL(server.url);
    const poll = net.connect(Number(port), hostname);
    let answered = '';
    poll.on('data', (d) => { answered += d; });
    await once(poll, 'connect');
    await new Promise((resolve) => poll.write(`GET /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\n` +
                                             `Host: ${hostname}:${port}\r\n\r\n`, resolve));
    // A request made after it is answered after the server has read it.
    assert.equal(await (await post('6')).text(), 'ok');
    assert.equal(answered, '', 'the long poll is held');
    poll.destroy();

    // Without a watch on its connection, the server would only notice at the
    // next ping, pingInterval later; this bound is loose, for a loaded machine.
    const started = Date.now();
    const deadline = started + Math.min(5000, pingInterval / 2);
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      const res = await post('6');
      status = res.status;
      await res.text();
      if (status === 200)
        await sleep(50);
    }
    assert.equal(status, 400, `the session was still open ${Date.now() - started} ms after the client left ` +
                              `(pingInterval ${pingInterval} ms, pingTimeout ${pingTimeout} ms)`);
  });
});

describe('Socket.IO reconnection', { skip }, () => {
  it('reconnects by itself after the server restarts', async () => {
    const port = new URL(server.url).port;
    const socket = io(server.url, {
      transports: ['websocket', 'polling'], auth: { token: VIEWER },
      reconnectionDelay: 200, reconnectionDelayMax: 500, timeout: 5000,
    });
    const recorder = record(socket);
    await once(socket, 'connect');
    const disconnected = once(socket, 'disconnect', 10000);
    await server.stop();
    const [reason] = await disconnected;
    assert.match(reason, /transport (close|error)/);
    server = await orderly(port);
    await once(socket, 'connect', 15000);
    await recorder.waitFor(() => recorder.events.filter((e) => e.name === 'connected').length === 2);
    const status = await socket.timeout(5000).emitWithAck('get-status');
    assert.equal(typeof status.phase, 'string');
    socket.disconnect();
  });
});

describe('Orderly in conformance mode', { skip }, () => {
  it('serves the suites\' script and no data or control', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderly-sio-conformance-'));
    const conformance = await startServer({
      command: orderlyBin, args: ['--headless', '--port', '0', '--data-dir', dir],
      env: { ...env, ORDERLY_SOCKETIO_CONFORMANCE: '1' },
    });
    try {
      const res = await fetch(`${conformance.url}/engine.io/?EIO=4&transport=polling`);
      const open = JSON.parse((await res.text()).slice(1));
      assert.equal(open.pingInterval, 300);
      assert.equal(open.pingTimeout, 200);

      const socket = io(conformance.url, { transports: ['websocket'], reconnection: false, auth: { token: 'x' } });
      const [[auth]] = await Promise.all([once(socket, 'auth'), once(socket, 'connect')]);
      assert.deepEqual(auth, { token: 'x' });
      const echoed = await socket.timeout(2000).emitWithAck('message-with-ack', 1, 'two');
      assert.equal(echoed, 1);
      const seen = [];
      socket.onAny((name) => seen.push(name));
      socket.emit('get-status');
      socket.emit('start-generation', { quantity: 10 });
      await sleep(500);
      assert.deepEqual(seen.filter((n) => ['status', 'log', 'progress', 'connected'].includes(n)), []);
      socket.disconnect();
    } finally {
      await conformance.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Socket.IO CORS for polling', { skip }, () => {
  it('allowed origins only, with credentials; others get no CORS and cannot post', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderly-sio-cors-'));
    const cors = await startServer({
      command: orderlyBin,
      args: ['--headless', '--port', '0', '--data-dir', dir, '--allow-origin', 'http://allowed.test'],
      env,
    });
    try {
      const allowed = await fetch(`${cors.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://allowed.test' } });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://allowed.test');
      assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
      const sid = JSON.parse((await allowed.text()).slice(1)).sid;

      const preflight = await fetch(`${cors.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://allowed.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://allowed.test');

      const foreign = await fetch(`${cors.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://evil.test' } });
      assert.equal(foreign.headers.get('access-control-allow-origin'), null);
      const foreignPost = await fetch(`${cors.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: 'POST', body: '40', headers: { Origin: 'http://evil.test', 'Content-Type': 'text/plain;charset=UTF-8' },
      });
      assert.equal(foreignPost.status, 403);
    } finally {
      await cors.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Socket.IO failed logins', { skip }, () => {
  it('an address that keeps trying wrong tokens is refused for a while', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderly-sio-limit-'));
    const limited = await startServer({
      command: orderlyBin, args: ['--headless', '--port', '0', '--data-dir', dir], env,
    });
    try {
      const attempt = async (token) => {
        const socket = io(limited.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
        const result = await Promise.race([
          once(socket, 'connect').then(() => 'connected'),
          once(socket, 'connect_error').then(([error]) => error.message),
        ]);
        socket.disconnect();
        return result;
      };
      assert.equal(await attempt(VIEWER), 'connected');
      let last = '';
      for (let i = 0; i < 12; i++)
        last = await attempt(`wrong-${i}`);
      assert.match(last, /too many failed logins/i);
      assert.match(await attempt(VIEWER), /too many failed logins/i);
    } finally {
      await limited.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('failures over REST count for Socket.IO too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderly-sio-limit-'));
    const limited = await startServer({
      command: orderlyBin, args: ['--headless', '--port', '0', '--data-dir', dir], env,
    });
    try {
      for (let i = 0; i < 12; i++) {
        const response = await fetch(new URL('pedidos', limited.url), {
          headers: { authorization: `Bearer wrong-${i}` },
        });
        await response.arrayBuffer();
      }
      const socket = io(limited.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: VIEWER } });
      const [error] = await once(socket, 'connect_error');
      socket.disconnect();
      assert.match(error.message, /too many failed logins/i);
    } finally {
      await limited.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
