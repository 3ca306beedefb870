// SPDX-License-Identifier: GPL-3.0-or-later
// The live link to the server: a WebSocket at ./ws that resumes from the last event it
// saw, with REST polling standing in while the socket is down.
//
// Events dispatched (all CustomEvent, payload in `detail`):
//   message      {event, data, seq, instanceId}   every server event, acks excluded
//   state        {state}  'connecting' | 'live' | 'polling' | 'offline'
//   restarted    {previous, current}               the server's instanceId changed
//   poll         {status, logs}                    one successful REST poll
//   retry        {delayMs}                         next reconnection attempt scheduled
//   unauthorized {}                                the session is no longer accepted

import { ApiError, getLogs, getStatus } from './api.js';

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const CONNECT_TIMEOUT_MS = 10000;
const ACK_TIMEOUT_MS = 10000;
const POLL_INTERVAL_MS = 2000;
const POLL_RETRY_MS = 5000;
const POLL_LOG_LINES = 300;

export class LiveConnection extends EventTarget
{
  #socket = null;
  #state = 'connecting';
  #attempt = 0;
  #reconnectTimer = 0;
  #connectTimer = 0;
  #pollTimer = 0;
  #polling = false;
  #lastSeq = null;
  #instanceId = null;
  #nextAckId = 1;
  #pending = new Map();
  #stopped = true;

  get state () { return this.#state; }
  get isOpen () { return this.#socket?.readyState === WebSocket.OPEN; }
  get instanceId () { return this.#instanceId; }

  start ()
  {
    if (!this.#stopped)
      return;
    this.#stopped = false;
    window.addEventListener('online', () => this.reconnectNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && !this.#socket)
        this.reconnectNow();
    });
    this.#connect();
  }

  stop ()
  {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#stopPolling();
    this.#socket?.close(1000);
    this.#socket = null;
  }

  reconnectNow ()
  {
    if (this.#stopped || this.#socket)
      return;
    clearTimeout(this.#reconnectTimer);
    this.#connect();
  }

  // Sends a command; resolves with the server's answer or rejects with an ApiError.
  send (event, data = {})
  {
    if (!this.isOpen)
      return Promise.reject(new ApiError(0, null));
    const id = this.#nextAckId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ApiError(504, { message: 'Orderly did not answer in time. The request may still have been carried out.' }));
      }, ACK_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.send(JSON.stringify({ event, data, id }));
    });
  }

  // Reports an instanceId learned elsewhere (a REST answer) so restarts are noticed
  // while polling too.
  noteInstance (instanceId)
  {
    if (typeof instanceId !== 'string' || !instanceId)
      return;
    if (this.#instanceId && this.#instanceId !== instanceId) {
      const previous = this.#instanceId;
      this.#instanceId = instanceId;
      this.#lastSeq = null;
      this.#emit('restarted', { previous, current: instanceId });
    } else {
      this.#instanceId = instanceId;
    }
  }

  #socketUrl ()
  {
    const url = new URL('ws', document.baseURI);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.hash = '';
    url.search = '';
    if (this.#lastSeq !== null) {
      url.searchParams.set('since', String(this.#lastSeq));
      if (this.#instanceId)
        url.searchParams.set('instance', this.#instanceId);
    }
    return url.href;
  }

  #connect ()
  {
    if (this.#state !== 'polling' && this.#state !== 'offline')
      this.#setState('connecting');

    let socket;
    try {
      socket = new WebSocket(this.#socketUrl());
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;

    this.#connectTimer = setTimeout(() => {
      if (socket.readyState === WebSocket.CONNECTING)
        socket.close();
    }, CONNECT_TIMEOUT_MS);

    socket.addEventListener('open', () => {
      clearTimeout(this.#connectTimer);
      this.#stopPolling();
      this.#setState('live');
    });
    socket.addEventListener('message', (event) => {
      // The backoff starts over only once the server has really talked: a socket that
      // opens and is closed at once must not turn into a tight reconnection loop.
      this.#attempt = 0;
      this.#receive(event.data);
    });
    socket.addEventListener('close', () => {
      clearTimeout(this.#connectTimer);
      if (this.#socket !== socket)
        return;
      this.#socket = null;
      this.#failPending();
      if (this.#stopped)
        return;
      this.#startPolling();
      this.#scheduleReconnect();
    });
    // 'error' is always followed by 'close', which does the work.
  }

  #receive (text)
  {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!message || typeof message.event !== 'string')
      return;

    if (message.event === 'ack') {
      this.#settle(message);
      return;
    }

    this.noteInstance(message.instanceId);

    // A resumed connection may repeat lines already shown; the log view drops those.
    if (Number.isFinite(message.seq) && (this.#lastSeq === null || message.seq > this.#lastSeq))
      this.#lastSeq = message.seq;

    this.#emit('message', message);
  }

  #settle (message)
  {
    const pending = this.#pending.get(message.id);
    if (!pending)
      return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    const data = message.data;
    const status = data && typeof data === 'object' ? Number(data.statusCode) : NaN;
    if (Number.isFinite(status) && status >= 400)
      pending.reject(new ApiError(status, data));
    else
      pending.resolve(data);
  }

  #failPending ()
  {
    for (const { reject, timer } of this.#pending.values()) {
      clearTimeout(timer);
      reject(new ApiError(0, { message: 'The connection dropped before Orderly answered. The request may still have been carried out.' }));
    }
    this.#pending.clear();
  }

  #scheduleReconnect ()
  {
    clearTimeout(this.#reconnectTimer);
    // Exponential backoff with jitter: a restarted server is not hit by every tab at once.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.#attempt);
    const delayMs = Math.max(BACKOFF_MIN_MS, Math.round(ceiling / 2 + Math.random() * ceiling / 2));
    this.#attempt = Math.min(this.#attempt + 1, 16);
    this.#reconnectTimer = setTimeout(() => this.#connect(), delayMs);
    this.#emit('retry', { delayMs });
  }

  #startPolling ()
  {
    if (this.#polling)
      return;
    this.#polling = true;
    this.#poll();
  }

  #stopPolling ()
  {
    this.#polling = false;
    clearTimeout(this.#pollTimer);
  }

  // Chained timeouts rather than setInterval: a slow answer never piles up requests.
  async #poll ()
  {
    if (!this.#polling)
      return;
    let nextMs = POLL_INTERVAL_MS;
    try {
      const [status, logs] = await Promise.all([getStatus(), getLogs(POLL_LOG_LINES)]);
      if (!this.#polling)
        return;
      this.noteInstance(status?.instanceId);
      this.#emit('poll', { status, logs });
      this.#setState('polling');
    } catch (error) {
      if (!this.#polling)
        return;
      if (error instanceof ApiError && error.status === 401) {
        this.stop();
        this.#emit('unauthorized', {});
        return;
      }
      this.#setState('offline');
      nextMs = POLL_RETRY_MS;
    }
    if (this.#polling)
      this.#pollTimer = setTimeout(() => this.#poll(), nextMs);
  }

  #setState (state)
  {
    if (this.#state === state)
      return;
    this.#state = state;
    this.#emit('state', { state });
  }

  #emit (type, detail)
  {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
