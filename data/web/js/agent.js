// SPDX-License-Identifier: GPL-3.0-or-later
// Readable names for the clients the server lists: "Firefox on Linux",
// "socket.io-client (Node)". The window names them by the same rules
// (orderly_format_user_agent in src/ui/orderly-format.c).

const PROGRAMS = [
  [/socket\.io-client|node-XMLHttpRequest/i, 'socket.io-client (Node)'],
  [/\bnode-fetch\b|\bundici\b|^node\b/i, 'Node.js'],
  [/^curl\//i, 'curl'],
  [/^Wget\//i, 'Wget'],
  [/python-requests|aiohttp|python-urllib/i, 'Python'],
  [/libsoup/i, 'libsoup'],
];

const BROWSERS = [
  [/Edg(A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/Epiphany\//, 'GNOME Web'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/HeadlessChrome\//, 'Chrome (headless)'],
  [/Chromium\//, 'Chromium'],
  [/Chrome\/|CriOS\//, 'Chrome'],
  [/Version\/[\d.]+.*Safari\//, 'Safari'],
];

const SYSTEMS = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/CrOS/, 'ChromeOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux|X11/, 'Linux'],
];

const first = (rules, text) => rules.find(([pattern]) => pattern.test(text))?.[1];

export function agentName (userAgent)
{
  const text = String(userAgent ?? '').trim();
  if (!text)
    return 'Unknown client';
  const program = first(PROGRAMS, text);
  if (program)
    return program;
  const browser = first(BROWSERS, text);
  if (browser) {
    const system = first(SYSTEMS, text);
    return system ? `${browser} on ${system}` : browser;
  }
  // Anything else by its own name, without its version.
  return text.split(/[\s/;(]/)[0] || 'Unknown client';
}

// "WebSocket", "Socket.IO (polling)".
export function transportName (transport)
{
  switch (transport) {
  case 'websocket': return 'WebSocket';
  case 'socket.io/websocket': return 'Socket.IO (WebSocket)';
  case 'socket.io/polling': return 'Socket.IO (polling)';
  default: return transport || 'Unknown transport';
  }
}
