// SPDX-License-Identifier: GPL-3.0-or-later
// The instances that share the database, as the window's overview lists them: each
// one's host, workers, rate and last heartbeat, this one marked, and an instance that
// has gone quiet marked as such. On its own an instance is the whole cluster: nothing
// is shown.

import * as format from './format.js';

export const shortId = (id) => String(id ?? '').slice(0, 8);

// Returns the number of instances shown.
export function renderCluster (section, list, cluster)
{
  const instances = Array.isArray(cluster) ? cluster : [];
  section.hidden = instances.length < 2;
  if (section.hidden)
    return 0;
  const items = instances.map((instance) => {
    const item = document.createElement('li');
    item.dataset.instance = instance.id ?? '';
    item.classList.toggle('quiet', instance.quiet === true);
    const title = document.createElement('span');
    title.className = 'instance-title';
    title.textContent = instance.host || shortId(instance.id);
    title.title = instance.id ?? '';
    if (instance.local === true) {
      const tag = document.createElement('span');
      tag.className = 'client-self';
      tag.textContent = 'This Instance';
      title.append(' ', tag);
    }
    const figure = document.createElement('span');
    figure.className = 'instance-rate';
    if (instance.quiet === true) {
      const quiet = document.createElement('span');
      quiet.className = 'quiet-tag';
      quiet.textContent = 'Quiet';
      figure.append(quiet);
    } else {
      figure.textContent = format.rate(Number(instance.rate));
    }
    const details = document.createElement('span');
    details.className = 'client-agent';
    const workers = Number(instance.workers) || 0;
    details.textContent = instance.quiet === true
      ? `${shortId(instance.id)} · quiet since ${format.clockTime(instance.lastHeartbeat)}`
      : `${shortId(instance.id)} · ${workers} ${workers === 1 ? 'worker' : 'workers'} · heartbeat ${format.clockTime(instance.lastHeartbeat)}`;
    item.append(title, figure, details);
    return item;
  });
  list.replaceChildren(...items);
  return items.length;
}

// Instance id → host, to tag log lines from other instances.
export function hostsOf (cluster)
{
  const hosts = new Map();
  for (const instance of Array.isArray(cluster) ? cluster : [])
    if (instance?.id)
      hosts.set(instance.id, instance.host || shortId(instance.id));
  return hosts;
}
