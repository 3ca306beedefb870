// SPDX-License-Identifier: GPL-3.0-or-later
// The Node system's Next.js front end, as Orderly sees it: the requests its
// lib/api.ts sends from the browser (every one with Content-Type:
// application/json, so the browser preflights each), the one its /runs page
// sends from the Next server, and its socket.io-client options. Node's fetch
// does not preflight by itself, so apiFetch() does what the browser does.
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startServer } from './browser.mjs';

export const FRONT_END_ORIGIN = 'http://localhost:3000';

/** `orderly --headless --no-auth --allow-origin http://localhost:3000`, as the README says. */
export function startForFrontEnd ({ dataDir, port = 0, extraArgs = [] })
{
  return startServer({ dataDir, port, extraArgs: ['--no-auth', '--allow-origin', FRONT_END_ORIGIN, ...extraArgs] });
}

function urlOf (server, path)
{
  return new URL(path, server.url).href;
}

/**
 * The browser's CORS preflight for a request with Content-Type: application/json.
 * Returns the response; `allowed` says whether the browser would go on.
 */
export async function preflight (server, path, { method = 'GET', origin = FRONT_END_ORIGIN } = {})
{
  const response = await fetch(urlOf(server, path), {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'content-type',
    },
  });
  await response.arrayBuffer();
  const allowOrigin = response.headers.get('access-control-allow-origin');
  const allowMethods = (response.headers.get('access-control-allow-methods') ?? '').toUpperCase();
  const allowHeaders = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  const allowed = response.ok && allowOrigin === origin && allowMethods.includes(method) &&
    allowHeaders.split(',').map((h) => h.trim()).includes('content-type');
  return { response, allowed };
}

async function readBody (response)
{
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A call of the front end's apiFetch(): preflight, then the request with its
 * headers and the page's Origin; the answer is readable only if it allows
 * that Origin, as in the browser.
 */
export async function apiFetch (server, path, { method = 'GET', origin = FRONT_END_ORIGIN } = {})
{
  const check = await preflight(server, path, { method, origin });
  assert.ok(check.allowed, `the preflight of ${method} ${path} lets the browser go on ` +
    `(${check.response.status} ${[...check.response.headers].join('; ')})`);
  const response = await fetch(urlOf(server, path), {
    method,
    cache: 'no-store',
    headers: { 'Content-Type': 'application/json', Origin: origin },
  });
  assert.equal(response.headers.get('access-control-allow-origin'), origin,
    `${method} ${path} lets ${origin} read its answer`);
  return { status: response.status, body: await readBody(response), headers: response.headers };
}

/** The /runs page's server-side call: from the Next server, no Origin, no preflight. */
export async function serverFetch (server, path)
{
  const response = await fetch(urlOf(server, path), {
    cache: 'no-store',
    headers: { 'Content-Type': 'application/json' },
  });
  return { status: response.status, body: await readBody(response) };
}

/** hooks/useWebSocket.ts's socket, with the Origin the browser adds. */
export function frontEndSocket (server, { origin = FRONT_END_ORIGIN } = {})
{
  return io(server.url, {
    transports: ['websocket', 'polling'],
    upgrade: true,
    rememberUpgrade: true,
    timeout: 20000,
    reconnection: true,
    reconnectionAttempts: Infinity,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    forceNew: true,
    extraHeaders: { Origin: origin },
  });
}

/** Records a socket's events in order; waitFor() resolves on the first that matches. */
export function recordEvents (socket)
{
  const events = [];
  const waiters = [];
  socket.onAny((name, data) => {
    events.push({ name, data });
    for (const waiter of [...waiters]) {
      if (waiter.test(name, data)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        clearTimeout(waiter.timer);
        waiter.resolve(data);
      }
    }
  });
  return {
    events,
    waitFor (test, { timeoutMs = 20000, what = 'an event' } = {}) {
      const found = events.find((e) => test(e.name, e.data));
      if (found)
        return Promise.resolve(found.data);
      return new Promise((resolve, reject) => {
        const waiter = { test, resolve };
        waiter.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

/** Asserts that `object` has every one of `members` with the given typeof. */
export function assertShape (object, members, where = 'body')
{
  assert.equal(typeof object, 'object', `${where} is an object`);
  assert.ok(object !== null, `${where} is not null`);
  for (const [name, type] of Object.entries(members)) {
    assert.ok(name in object, `${where}.${name} is present in ${JSON.stringify(object).slice(0, 400)}`);
    const value = object[name];
    if (type === 'iso')
      assert.ok(typeof value === 'string' && !Number.isNaN(Date.parse(value)), `${where}.${name} is ISO-8601: ${value}`);
    else if (type === 'iso|null')
      assert.ok(value === null || (typeof value === 'string' && !Number.isNaN(Date.parse(value))), `${where}.${name} is ISO-8601 or null: ${value}`);
    else if (type === 'number|null')
      assert.ok(value === null || typeof value === 'number', `${where}.${name} is a number or null: ${value}`);
    else if (type === 'array')
      assert.ok(Array.isArray(value), `${where}.${name} is an array`);
    else
      assert.equal(typeof value, type, `${where}.${name} is a ${type}: ${JSON.stringify(value)}`);
  }
}
