// SPDX-License-Identifier: GPL-3.0-or-later
// REST calls to the server. Every URL is relative to the page, so the dashboard also
// works behind a reverse proxy that serves it under a sub-path.

export class ApiError extends Error
{
  constructor (status, body, fallback)
  {
    super(describeFailure(status, body, fallback));
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

// Plain words for what went wrong, keeping the server's own explanation when it has one.
export function describeFailure (status, body, fallback = '')
{
  const serverMessage = messageOf(body);
  switch (status) {
  case 0:
    return 'Orderly cannot be reached. Check the network connection; the page keeps trying.';
  case 401:
    return 'Your session has expired. Sign in again with your access token.';
  case 403:
    return serverMessage && !/^forbidden$/i.test(serverMessage)
      ? `Not allowed: ${serverMessage}`
      : 'Your access token only allows watching, not changing anything.';
  case 409:
    return serverMessage || 'That cannot be done right now because of the current run.';
  case 413:
    return 'The request was too large for the server.';
  case 429:
    return 'Too many attempts. Wait a minute, then try again.';
  default:
    if (serverMessage)
      return serverMessage;
    if (status >= 500)
      return `Orderly had an internal problem (${status}). Try again in a moment.`;
    return fallback || `The server answered with an error (${status}).`;
  }
}

function messageOf (body)
{
  if (!body || typeof body !== 'object')
    return typeof body === 'string' && body.length < 300 ? body.trim() : '';
  const message = Array.isArray(body.message) ? body.message.join('. ') : body.message;
  return typeof message === 'string' ? message.trim() : '';
}

export async function request (path, { method = 'GET', body, signal, timeoutMs = 15000 } = {})
{
  const options = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
    signal: signal ?? AbortSignal.timeout(timeoutMs),
  };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(new URL(path, document.baseURI), options);
  } catch (error) {
    throw new ApiError(0, null, error.message);
  }

  const text = await response.text().catch(() => '');
  let data = text;
  if (text && ((response.headers.get('Content-Type') ?? '').includes('json') || /^\s*[[{]/.test(text))) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok)
    throw new ApiError(response.status, data);
  return data;
}

export const getStatus = () => request('pedidos');
export const getLogs = (lines = 500) => request(`pedidos/logs?lines=${lines}`);
export const getSession = () => request('session');
export const getRuns = () => request('runs');
export const getClients = () => request('clients');
export const getRunProof = (runId) => request(`runs/${encodeURIComponent(runId)}/proof`);
export const getRunSamples = (runId) => request(`runs/${encodeURIComponent(runId)}/samples`);
