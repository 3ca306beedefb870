// SPDX-License-Identifier: GPL-3.0-or-later
// Shared helpers for the browser tests: start the real Orderly server, talk to its REST
// API, and drive Debian's Chromium through playwright-core.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const orderlyBin = process.env.ORDERLY_BIN ?? join(repoRoot, '_build', 'src', 'orderly');
export const outputDir = resolve(process.env.ORDERLY_TEST_OUTPUT ?? join(repoRoot, 'test-output'));

export const OPERATOR_TOKEN = 'operator-token-for-browser-tests-0123456789';
export const VIEWER_TOKEN = 'viewer-token-for-browser-tests-9876543210';

const LISTENING = /^Orderly listening on (https?):\/\/(\S+?):(\d+)\/\s*$/;

export function makeDataDir ()
{
  return mkdtempSync(join(tmpdir(), 'orderly-web-test-'));
}

export function removeDataDir (dir)
{
  rmSync(dir, { recursive: true, force: true });
}

export function ensureOutputDir ()
{
  mkdirSync(outputDir, { recursive: true });
  return outputDir;
}

/**
 * Starts `orderly --headless` and resolves once it prints its listening line.
 * Returns { url, port, child, output (), stop (signal) }.
 */
export function startServer ({ dataDir, port = 0, extraArgs = [], env = {}, timeoutMs = 20000, fdLimit = 0 } = {})
{
  if (!existsSync(orderlyBin))
    throw new Error(`Orderly binary not found at ${orderlyBin}; build it or set ORDERLY_BIN`);

  let args = ['--headless', '--port', String(port), '--data-dir', dataDir, ...extraArgs];
  let program = orderlyBin;
  // `fdLimit`: run it with that many file descriptors at most (soft and hard).
  if (fdLimit > 0) {
    args = [`--nofile=${fdLimit}:${fdLimit}`, '--', orderlyBin, ...args];
    program = 'prlimit';
  }
  const child = spawn(program, args, {
    env: {
      ...process.env,
      GSETTINGS_BACKEND: process.env.GSETTINGS_BACKEND ?? 'memory',
      ORDERLY_OPERATOR_TOKEN: OPERATOR_TOKEN,
      ORDERLY_VIEWER_TOKEN: VIEWER_TOKEN,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { output = (output + chunk).slice(-20000); });

  return new Promise((resolveStart, rejectStart) => {
    let pending = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`Orderly did not print its listening line within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      output = (output + chunk).slice(-20000);
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const match = LISTENING.exec(line);
        if (match) {
          clearTimeout(timer);
          const [, scheme, host, listenPort] = match;
          resolveStart({
            url: `${scheme}://${host}:${listenPort}/`,
            port: Number(listenPort),
            child,
            exited,
            output: () => output,
            stop: async (signal = 'SIGTERM') => {
              if (child.exitCode === null && child.signalCode === null)
                child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rejectStart(new Error(`Orderly exited (code ${code}, signal ${signal}) before listening:\n${output}`));
    });
  });
}

/** Calls the REST API from node, as a script would, with a bearer token. */
export async function rest (server, path, { token = OPERATOR_TOKEN, method = 'GET', body } = {})
{
  const headers = { Accept: 'application/json' };
  if (token)
    headers.Authorization = `Bearer ${token}`;
  if (method !== 'GET') {
    headers.Origin = new URL(server.url).origin;
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(new URL(path, server.url), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = text;
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON: keep the text for the assertion message.
  }
  return { status: response.status, data };
}

/** Polls `check` until it returns a truthy value; throws with `what` on timeout. */
export async function waitFor (check, { timeoutMs = 30000, intervalMs = 200, what = 'condition' } = {})
{
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value)
        return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, intervalMs));
  }
  throw new Error(`Timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

export function launchBrowser ()
{
  return chromium.launch({
    executablePath: process.env.ORDERLY_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * A fresh browser context (own cookies) with a page. Console errors and uncaught
 * exceptions are collected in `page.problems` so tests can assert there were none.
 */
export async function openPage (browser, { viewport = DESKTOP, colorScheme = 'light', isMobile = false } = {})
{
  const context = await browser.newContext({
    locale: 'en-US',
    timezoneId: 'UTC',
    viewport,
    colorScheme,
    isMobile,
    hasTouch: isMobile,
    deviceScaleFactor: isMobile ? 2 : 1,
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error')
      page.problems.push(`console: ${message.text()}`);
  });
  return { context, page };
}

/** Opens the dashboard and signs in through its token form. */
export async function signIn (page, server, token)
{
  await page.goto(server.url);
  await page.locator('#login-token').waitFor({ state: 'visible' });
  await page.fill('#login-token', token);
  await page.click('#login-form button[type="submit"]');
  // The server sets the session cookie and redirects to the page without the token.
  await page.locator('#dashboard-view').waitFor({ state: 'visible' });
}

export async function screenshot (page, name, { fullPage = true } = {})
{
  const path = join(ensureOutputDir(), name);
  await page.screenshot({ path, fullPage });
  return path;
}

/**
 * A minimal reverse proxy that serves the upstream under `prefix` (like nginx with
 * `location /orderly/ { proxy_pass http://upstream/; }` and its default proxy_redirect):
 * the prefix is stripped from request paths, redirects and cookie paths get it back,
 * and WebSocket upgrades are passed through. Every path the browser asked for is kept
 * in `requests`, so a test can check that nothing escaped the prefix.
 */
export async function startSubPathProxy (prefix = '/orderly/')
{
  let upstream = null;
  const requests = [];
  const tunnels = new Set();
  const strip = (path) => (path.startsWith(prefix) ? `/${path.slice(prefix.length)}` : null);

  const server = http.createServer((request, response) => {
    requests.push(request.url);
    const path = strip(request.url);
    if (!path || !upstream) {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('not under the proxied prefix');
      return;
    }
    const forward = http.request({
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path,
      headers: { ...request.headers, host: upstream.host },
    }, (answer) => {
      const headers = { ...answer.headers };
      if (typeof headers.location === 'string' && headers.location.startsWith('/'))
        headers.location = prefix + headers.location.slice(1);
      if (headers['set-cookie'])
        headers['set-cookie'] = headers['set-cookie'].map((cookie) => cookie.replace(/;\s*path=\/(?=;|$)/i, `; Path=${prefix}`));
      response.writeHead(answer.statusCode, headers);
      answer.pipe(response);
    });
    forward.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    request.pipe(forward);
  });

  server.on('upgrade', (request, socket, head) => {
    requests.push(request.url);
    const path = strip(request.url);
    if (!path || !upstream) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const target = net.connect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${request.method} ${path} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        const name = request.rawHeaders[i];
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? upstream.host : request.rawHeaders[i + 1]}`);
      }
      target.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length)
        target.write(head);
      target.pipe(socket);
      socket.pipe(target);
    });
    const close = () => {
      target.destroy();
      socket.destroy();
    };
    target.on('error', close);
    socket.on('error', close);
    tunnels.add(close);
    socket.on('close', () => tunnels.delete(close));
  });

  await new Promise((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address();
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    setUpstream: (url) => { upstream = new URL(url); },
    close: () => new Promise((resolveClose) => {
      for (const close of tunnels)
        close();
      server.closeAllConnections?.();
      server.close(resolveClose);
    }),
  };
}

/**
 * Text whose contrast with what is behind it falls below WCAG AA (4.5:1, or 3:1 for
 * large text). Checks every visible element that holds text of its own, compositing
 * translucent backgrounds down to the first opaque one.
 */
export function contrastProblems (page)
{
  return page.evaluate(() => {
    const parse = (value) => {
      const match = /rgba?\(([^)]+)\)/.exec(value);
      if (!match)
        return null;
      const [r, g, b, a = 1] = match[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const over = (top, bottom) => ({
      r: top.r * top.a + bottom.r * (1 - top.a),
      g: top.g * top.a + bottom.g * (1 - top.a),
      b: top.b * top.a + bottom.b * (1 - top.a),
      a: 1,
    });
    const background = (element) => {
      const layers = [];
      for (let node = element; node; node = node.parentElement) {
        const color = parse(getComputedStyle(node).backgroundColor);
        if (color && color.a > 0) {
          layers.push(color);
          if (color.a >= 1)
            break;
        }
      }
      let result = { r: 255, g: 255, b: 255, a: 1 };
      if (layers.length && layers[layers.length - 1].a >= 1)
        result = layers.pop();
      for (const layer of layers.reverse())
        result = over(layer, result);
      return result;
    };
    const luminance = ({ r, g, b }) => {
      const channel = (value) => {
        const v = value / 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const problems = [];
    for (const element of document.querySelectorAll('body *')) {
      const ownText = [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
      if (!ownText || element.closest('[hidden], dialog:not([open]), .visually-hidden, .skip-link'))
        continue;
      if (element.closest('button:disabled, input:disabled') || !element.getClientRects().length)
        continue;
      const style = getComputedStyle(element);
      if (style.visibility === 'hidden' || Number(style.opacity) === 0)
        continue;
      const back = background(element);
      const fore = over(parse(style.color), back);
      const [light, dark] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
      const ratio = (light + 0.05) / (dark + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5))
        problems.push(`${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}.${element.className} "${element.textContent.trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
    }
    return problems;
  });
}
