// SPDX-License-Identifier: GPL-3.0-or-later
// The stock socket.io-client 4.8 against Orderly's conformance mode, in the
// three ways front ends connect: WebSocket first, polling only, and the
// default (polling, then the upgrade to WebSocket).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { conformanceCommand, startServer } from './support/socketio-harness.mjs';

const command = conformanceCommand();
const skip = command ? false : 'Orderly is not built (set ORDERLY_BIN)';

const modes = {
  websocket: { transports: ['websocket', 'polling'] },
  polling: { transports: ['polling'] },
  default: {},
};

let server;

before(async () => {
  if (!skip)
    server = await startServer(command);
});

after(async () => {
  if (server)
    await server.stop();
});

function once(emitter, event, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} in ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

for (const [mode, options] of Object.entries(modes)) {
  describe(`socket.io-client, ${mode}`, { skip }, () => {
    function connect(nsp = '', extra = {}) {
      return io(`${server.url}${nsp}`, { timeout: 5000, reconnection: false, forceNew: true, ...options, ...extra });
    }

    it('connects, gets its auth back, and disconnects', async () => {
      const socket = connect('', { auth: { token: 'abc' } });
      const [[auth]] = await Promise.all([once(socket, 'auth'), once(socket, 'connect')]);
      assert.deepEqual(auth, { token: 'abc' });
      assert.ok(socket.id);
      assert.equal(socket.connected, true);
      socket.disconnect();
      assert.equal(socket.connected, false);
    });

    it('events both ways, acks, and ack id 0', async () => {
      const socket = connect();
      await once(socket, 'connect');
      const back = once(socket, 'message-back');
      socket.emit('message', 1, '2', { 3: [true] });
      assert.deepEqual(await back, [1, '2', { 3: [true] }]);
      const first = await socket.timeout(2000).emitWithAck('message-with-ack', 'first');
      assert.equal(first, 'first');
      const many = await new Promise((resolve) => socket.emit('message-with-ack', 1, { a: null }, (...args) => resolve(args)));
      assert.deepEqual(many, [1, { a: null }]);
      socket.disconnect();
    });

    it('binary events and binary acks round-trip', async () => {
      const socket = connect();
      await once(socket, 'connect');
      const back = once(socket, 'message-back');
      socket.emit('message', Buffer.from([1, 2, 3]), { nested: Buffer.from([4, 5]) });
      const [first, second] = await back;
      assert.deepEqual([...first], [1, 2, 3]);
      assert.deepEqual([...second.nested], [4, 5]);
      const acked = await socket.timeout(2000).emitWithAck('message-with-ack', Buffer.from([9, 8, 7]));
      assert.deepEqual([...acked], [9, 8, 7]);
      socket.disconnect();
    });

    it('text with control characters and the record separator survives', async () => {
      const socket = connect();
      await once(socket, 'connect');
      // U+0000 is left out: json-glib keeps strings NUL-terminated.
      const text = 'a\u001eb\u001fc\u0001d\n\u2028é"\\';
      const back = once(socket, 'message-back');
      socket.emit('message', text, { [text]: text });
      assert.deepEqual(await back, [text, { [text]: text }]);
      socket.disconnect();
    });

    it('a custom namespace shares the connection', async () => {
      const main = connect();
      await once(main, 'connect');
      const custom = io(`${server.url}/custom`, { ...options, reconnection: false });
      const [[auth]] = await Promise.all([once(custom, 'auth'), once(custom, 'connect')]);
      assert.deepEqual(auth, {});
      const back = once(custom, 'message-back');
      custom.emit('message', 'in custom');
      assert.deepEqual(await back, ['in custom']);
      custom.disconnect();
      main.disconnect();
    });

    it('an unknown namespace gets connect_error "Invalid namespace"', async () => {
      const socket = connect('/random');
      const [error] = await once(socket, 'connect_error');
      assert.equal(error.message, 'Invalid namespace');
      socket.disconnect();
    });

    it('stays connected across several heartbeats', async () => {
      const socket = connect();
      await once(socket, 'connect');
      let disconnected = null;
      socket.on('disconnect', (reason) => { disconnected = reason; });
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(disconnected, null);
      assert.equal(socket.connected, true);
      socket.disconnect();
    });

    if (mode === 'default') {
      it('upgrades from polling to WebSocket and keeps working', async () => {
        const socket = connect();
        await once(socket, 'connect');
        const engine = socket.io.engine;
        if (engine.transport.name !== 'websocket')
          await once(engine, 'upgrade');
        assert.equal(engine.transport.name, 'websocket');
        const back = once(socket, 'message-back');
        socket.emit('message', 'after upgrade');
        assert.deepEqual(await back, ['after upgrade']);
        socket.disconnect();
      });
    } else {
      it(`stays on ${mode === 'websocket' ? 'websocket' : 'polling'}`, async () => {
        const socket = connect();
        await once(socket, 'connect');
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(socket.io.engine.transport.name, mode);
        socket.disconnect();
      });
    }
  });
}
