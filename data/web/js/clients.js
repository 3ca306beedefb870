// SPDX-License-Identifier: GPL-3.0-or-later
// The connected clients, as the window's Remote Access page lists them: a readable
// name, the role, how and since when it is connected, what it was sent, and which
// one is this very page; an operator can disconnect the others.

import { agentName, transportName } from './agent.js';
import * as format from './format.js';

const ROLES = { operator: 'Operator', viewer: 'Viewer' };

// `onDisconnect(client, name)`, when given, adds a Disconnect button to every row but
// this page's own.
export function renderClients (list, raw, ownId, onDisconnect = null)
{
  const clients = Array.isArray(raw) ? raw : (Array.isArray(raw?.clients) ? raw.clients : []);
  const items = clients.map((client) => {
    const item = document.createElement('li');
    item.dataset.client = client.id ?? '';
    const title = document.createElement('span');
    title.className = 'client-title';
    title.textContent = agentName(client.userAgent);
    title.title = client.userAgent ?? '';
    if (ownId && client.id === ownId) {
      const tag = document.createElement('span');
      tag.className = 'client-self';
      tag.textContent = 'This Device';
      title.append(' ', tag);
    }
    const counters = document.createElement('span');
    counters.className = 'client-counters';
    const sent = Number(client.messagesSent) || 0;
    const dropped = Number(client.messagesDropped) || 0;
    counters.textContent = `${format.number(sent)} ${sent === 1 ? 'message' : 'messages'} sent`
      + (dropped > 0 ? ` · ${format.number(dropped)} dropped` : '');
    const details = document.createElement('span');
    details.className = 'client-agent';
    details.textContent = [ROLES[client.role] ?? client.role ?? '', transportName(client.transport),
      client.address ?? '', client.since ? `connected since ${format.clockTime(client.since)}` : '']
      .filter(Boolean).join(' · ');
    item.append(title, counters, details);
    if (onDisconnect && client.id && client.id !== ownId) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button flat small client-disconnect';
      button.textContent = 'Disconnect';
      button.setAttribute('aria-label', `Disconnect ${agentName(client.userAgent)}`);
      button.addEventListener('click', () => onDisconnect(client, agentName(client.userAgent)));
      item.append(button);
      item.classList.add('can-disconnect');
    }
    return item;
  });
  list.replaceChildren(...items);
  return items.length;
}
