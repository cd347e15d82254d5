// The dashboard page: takes the states the server pushes (Server-Sent Events) and draws them. Everything a
// task or a linked process sent is set as text (textContent, never markup), so an argument or a stack that
// holds HTML shows as what it is.
'use strict';

(() => {
  const token = new URLSearchParams(location.search).get('token');
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const root = document.getElementById('processes');
  const status = document.getElementById('status');
  const updated = document.getElementById('updated');
  document.getElementById('snapshot').href = `api/state${query}`;

  /** The task stream shows this much of the recent past. */
  const streamWindowMs = 10_000;
  /** Which <details> are open, by key, so an update does not fold what the reader unfolded. */
  const open = new Set();
  let updates = 0;

  // ---- building elements (text only) ----
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function append(parent, ...children) {
    for (const child of children) if (child) parent.append(child);
    return parent;
  }
  function row(cells, header) {
    const tr = el('tr');
    for (const cell of cells) {
      const td = el(header ? 'th' : 'td', typeof cell === 'object' && cell !== null && cell.num ? 'num' : '');
      if (cell instanceof Node) td.append(cell);
      else if (typeof cell === 'object' && cell !== null) {
        if (cell.node) td.append(cell.node);
        else td.textContent = String(cell.text);
      } else td.textContent = cell === undefined ? '' : String(cell);
      tr.append(td);
    }
    return tr;
  }
  function table(head, rows, className) {
    const t = el('table', className);
    append(t, append(el('thead'), row(head, true)));
    const body = el('tbody');
    for (const r of rows) body.append(r);
    t.append(body);
    return t;
  }
  function details(key, summary, body) {
    const d = el('details');
    d.dataset.key = key;
    if (open.has(key)) d.open = true;
    // The key is read when it toggles: an update may have given this element another entry's key (see morph).
    d.addEventListener('toggle', () => (d.open ? open.add(d.dataset.key) : open.delete(d.dataset.key)));
    d.append(el('summary', '', summary), el('pre', 'stack', body));
    return d;
  }

  // ---- numbers as text ----
  function ms(value) {
    if (value === undefined || value === null || !isFinite(value)) return '–';
    if (value < 1) return `${value.toFixed(2)} ms`;
    if (value < 1000) return `${value.toFixed(value < 10 ? 1 : 0)} ms`;
    const s = value / 1000;
    if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
    const m = Math.floor(s / 60);
    return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
  }
  function bytes(value) {
    if (value === undefined || value === null) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB'];
    let v = value;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  }
  function rate(value) {
    if (!value) return '0/s';
    return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M/s` : value >= 1e4 ? `${(value / 1e3).toFixed(1)}k/s` : `${value.toFixed(value >= 100 ? 0 : 1)}/s`;
  }
  function pct(part, whole) {
    return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '–';
  }
  function clock(at) {
    return new Date(at).toLocaleTimeString();
  }
  function errorLine(error) {
    return `${error.name}${error.code ? ` [${error.code}]` : ''}: ${error.message}`;
  }

  // ---- the parts of a pool ----
  function mapsPart(pool) {
    const part = el('div', 'maps');
    if (pool.maps.length === 0) return null;
    part.append(el('h4', '', 'Maps'));
    for (const map of pool.maps) {
      const line = el('div', `map ${map.state}`);
      line.dataset.mapId = String(map.mapId);
      line.dataset.done = String(map.done);
      line.dataset.total = map.total === undefined ? '' : String(map.total);
      line.dataset.state = map.state;
      const bar = el('div', 'bar');
      const fill = el('div', 'fill');
      const fraction = map.total ? Math.min(1, map.done / map.total) : map.state === 'running' ? 0 : 1;
      fill.style.width = `${(fraction * 100).toFixed(2)}%`;
      bar.append(fill);
      const label = el('span', '', `${map.kind} ${map.name}`);
      const numbers = map.total === undefined ? `${map.done} done` : `${map.done}/${map.total} (${pct(map.done, map.total)})`;
      const eta = map.state === 'running' ? (map.etaMs === undefined ? 'ETA –' : `ETA ${ms(map.etaMs)}`) : map.state === 'failed' ? 'failed' : `in ${ms(map.elapsedMs)}`;
      append(line, label, bar, el('span', 'muted', `${numbers} · ${rate(map.rate)} · ${eta}`));
      part.append(line);
      if (map.error) part.append(details(`${pool.id}/map/${map.mapId}`, errorLine(map.error), map.error.stack));
    }
    return part;
  }

  function ratioBar(worker) {
    const whole = worker.busyMs + worker.waitMs + worker.idleMs;
    const bar = el('div', 'ratio');
    bar.title = `busy ${pct(worker.busyMs, whole)} · wait ${pct(worker.waitMs, whole)} · idle ${pct(worker.idleMs, whole)}`;
    const busy = el('div', 'busy');
    busy.style.width = whole > 0 ? `${(100 * worker.busyMs) / whole}%` : '0';
    const wait = el('div', 'wait');
    wait.style.width = whole > 0 ? `${(100 * worker.waitMs) / whole}%` : '0';
    append(bar, busy, wait);
    const box = el('div');
    append(box, bar, el('span', 'muted', `${pct(worker.busyMs, whole)} busy · ${pct(worker.waitMs, whole)} wait · ${pct(worker.idleMs, whole)} idle`));
    return box;
  }

  function workersPart(pool, at) {
    const rows = pool.workers.map((worker) => {
      const tr = row([
        worker.index,
        { node: el('span', `badge ${worker.state}`, worker.state) },
        worker.pid || '–',
        worker.current ? `${worker.current.name}${worker.current.items > 1 ? ` ×${worker.current.items}` : ''} · ${ms(Math.max(0, at - worker.current.since))}` : '',
        { node: ratioBar(worker) },
        { text: worker.tasksDone, num: true },
        { text: worker.itemsDone, num: true },
        { text: worker.memory ? `${bytes(worker.memory.rss)}${worker.memory.rssScope === 'process' ? ' (process)' : ''}` : '–', num: true },
        { text: worker.memory ? `${bytes(worker.memory.heapUsed)} / ${bytes(worker.memory.heapTotal)}` : '–', num: true },
        { text: worker.restarts, num: true },
        worker.lastCrash ? { node: crashNode(pool, worker.lastCrash, 'row') } : '',
      ]);
      tr.dataset.worker = String(worker.index);
      tr.dataset.state = worker.state;
      tr.dataset.restarts = String(worker.restarts);
      return tr;
    });
    const part = el('div');
    append(part, el('h4', '', 'Workers'), table(['#', 'state', 'pid', 'running now', 'busy / wait / idle', 'tasks', 'items', 'RSS', 'heap', 'restarts', 'last crash'], rows, 'workers'));
    return part;
  }

  function crashNode(pool, crash, where) {
    const what = `${clock(crash.at)} · ${crash.signal ? `signal ${crash.signal}` : `exit ${crash.exitCode}`}${crash.task ? ` in ${crash.task}` : ''}`;
    const node = crash.error ? details(`${pool.id}/crash/${where}/${crash.workerId}/${crash.at}`, `${what} · ${errorLine(crash.error)}`, crash.error.stack) : el('span', '', what);
    node.classList.add('crash');
    return node;
  }

  const colours = { working: '#3b82f6', transfer: '#f59e0b', erred: '#dc2626' };

  /** The task stream's part: a canvas kept from update to update (redrawn, never rebuilt) and its legend. */
  function streamPart() {
    const part = el('div');
    const canvas = document.createElement('canvas');
    canvas.className = 'stream';
    const legend = el('div', 'legend');
    for (const [kind, label] of [['working', 'working'], ['transfer', '(de)serialising / transfer'], ['erred', 'erred'], ['idle', 'idle']]) {
      const item = el('span', '', label);
      const swatch = el('i');
      swatch.style.background = kind === 'idle' ? '#eef0f3' : colours[kind];
      item.prepend(swatch);
      legend.append(item);
    }
    append(part, el('h4', '', 'Task stream (last 10 s)'), canvas, legend);
    return { part, canvas };
  }

  function drawStream(canvas, pool, at) {
    const lanes = pool.timeline;
    const laneHeight = 18;
    const labelWidth = 40;
    // The window's width, not the element's: reading an element's size here would force a layout per update.
    const width = Math.max(300, Math.min(1600, window.innerWidth - 80));
    const height = lanes.length * laneHeight + 16;
    if (canvas.width !== width * devicePixelRatio || canvas.height !== height * devicePixelRatio) {
      canvas.width = width * devicePixelRatio;
      canvas.height = height * devicePixelRatio;
      canvas.style.height = `${height}px`;
    }
    const g = canvas.getContext('2d');
    g.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
    g.clearRect(0, 0, width, height);
    const from = at - streamWindowMs;
    const plot = width - labelWidth - 4;
    const x = (t) => labelWidth + Math.max(0, Math.min(plot, ((t - from) / streamWindowMs) * plot));
    let drawn = 0;
    g.font = '11px system-ui, sans-serif';
    lanes.forEach((lane, i) => {
      const y = i * laneHeight + 2;
      g.fillStyle = '#eef0f3';
      g.fillRect(labelWidth, y, plot, laneHeight - 4);
      g.fillStyle = '#6b7280';
      g.fillText(`w${lane.index}`, 4, y + laneHeight - 7);
      for (const entry of lane.entries) {
        if (entry.end < from) continue;
        const x0 = x(entry.start);
        const x1 = Math.max(x0 + 1, x(entry.end));
        g.fillStyle = colours[entry.kind] || colours.working;
        g.fillRect(x0, y, x1 - x0, laneHeight - 4);
        drawn++;
      }
    });
    g.fillStyle = '#6b7280';
    const axisY = lanes.length * laneHeight + 12;
    for (let s = 0; s <= streamWindowMs / 1000; s += 2) g.fillText(s === 0 ? 'now' : `-${s}s`, x(at - s * 1000) - (s === 0 ? 18 : 8), axisY);
    canvas.dataset.segments = String(drawn);
  }

  function slowestPart(pool) {
    const part = el('div');
    const rows = pool.slowest.map((task) => row([task.name, { text: ms(task.runMs), num: true }, task.index, { text: task.items, num: true }, { node: el('span', 'args', task.args) }]));
    append(part, el('h4', '', 'Slowest tasks'), rows.length === 0 ? el('p', 'muted', 'none yet') : table(['task', 'run', 'worker', 'items', 'arguments'], rows, 'slowest'));
    return part;
  }

  function errorsPart(pool) {
    const part = el('div', 'errors');
    part.append(el('h4', '', `Errors (${pool.tasksFailed})`));
    if (pool.errors.length === 0 && pool.crashes.length === 0) {
      part.append(el('p', 'muted', 'none'));
      return part;
    }
    for (const crash of pool.crashes) {
      const line = el('div', 'error crash-entry');
      append(line, el('span', 'error-name', `worker ${crash.index} crashed`), el('span', 'muted', ' '), crashNode(pool, crash, 'list'));
      part.append(line);
    }
    for (const error of pool.errors) {
      const line = el('div', 'error');
      line.dataset.taskId = String(error.taskId);
      const head = el('div');
      append(head, el('span', 'error-name', errorLine(error.error)), el('span', 'muted', ` · ${error.name} on worker ${error.index} · ${clock(error.at)} · `), el('span', 'args', error.args));
      append(line, head, details(`${pool.id}/error/${error.taskId}`, 'stack (worker side under [cause])', error.error.stack));
      part.append(line);
    }
    return part;
  }

  function insightsPart(pool) {
    const insights = pool.insights;
    if (!insights) return null;
    const part = el('div', 'insights');
    const figure = (name, f) => row([name, { text: ms(f.totalMs), num: true }, { text: ms(f.meanMs), num: true }, { text: ms(f.stdMs), num: true }, { text: pct(f.ratio, 1), num: true }]);
    const loop = insights.eventLoop;
    append(part, el('h4', '', 'Insights (pool.insights())'),
      table(['', 'total', 'mean', 'std', 'ratio'], [
        figure('start-up', insights.startup), figure('initializer', insights.init), figure('waiting', insights.waiting),
        figure('working', insights.working), figure('exit', insights.exit),
      ], 'figures'),
      el('p', 'muted', `tasks ${insights.tasksCompleted} done, ${insights.tasksFailed} failed, ${insights.tasksRetried} retried · ` +
        `restarts ${insights.restarts.total} · queue ${insights.queue.waiting} waiting (peak ${insights.queue.peakWaiting}), ${insights.queue.inflight} in flight · ` +
        `event loop ${pct(loop.utilization, 1)} busy, delay mean ${ms(loop.delayMeanMs)}, p99 ${ms(loop.delayP99Ms)}`));
    return part;
  }

  /**
   * What is on the page, by key, so an update changes only what changed: a part whose data is the same as
   * last time keeps its elements (no style, layout or paint for it), and the task stream's canvas is redrawn
   * in place. A page left open on a fast pool costs the machine little.
   */
  const shown = new Map();

  /**
   * Makes `target` look like `source` (built fresh for this update) by changing only what differs: text,
   * attributes, children past the end. The elements stay, so the browser restyles and repaints only what changed.
   */
  function morph(target, source) {
    if (target.nodeType !== source.nodeType || target.nodeName !== source.nodeName) {
      target.replaceWith(source);
      return source;
    }
    if (target.nodeType !== Node.ELEMENT_NODE) {
      if (target.nodeValue !== source.nodeValue) target.nodeValue = source.nodeValue;
      return target;
    }
    for (const { name, value } of source.attributes) {
      // Styles through the CSSOM: the page's CSP refuses style attributes set as markup.
      if (name === 'style') {
        if (target.style.cssText !== source.style.cssText) target.style.cssText = source.style.cssText;
      } else if (target.getAttribute(name) !== value) target.setAttribute(name, value);
    }
    for (const { name } of [...target.attributes]) if (!source.hasAttribute(name)) target.removeAttribute(name);
    if (target.nodeName === 'DETAILS' && target.open !== source.open) target.open = source.open;
    const incoming = [...source.childNodes];
    incoming.forEach((child, i) => {
      const existing = target.childNodes[i];
      if (existing) morph(existing, child);
      else target.append(child);
    });
    while (target.childNodes.length > incoming.length) target.lastChild.remove();
    return target;
  }

  /** Puts `build()` in `slot` of `holder` unless the part's data is what it was; an old part is morphed, not replaced. */
  function part(holder, slot, data, build) {
    const key = JSON.stringify(data);
    const old = holder.parts.get(slot);
    if (old && old.key === key) return old.node;
    const fresh = build() || document.createComment(slot);
    const node = old ? morph(old.node, fresh) : fresh;
    if (!old) holder.body.append(node);
    holder.parts.set(slot, { key, node });
    return node;
  }

  function poolCard(pool, at) {
    let holder = shown.get(`pool:${pool.id}`);
    if (!holder) {
      const card = el('section');
      card.dataset.poolId = pool.id;
      holder = { body: card, parts: new Map(), stream: null };
      shown.set(`pool:${pool.id}`, holder);
    }
    const card = holder.body;
    card.className = `pool ${pool.state}`;
    card.dataset.state = pool.state;
    part(holder, 'title', [pool.poolId, pool.state, pool.backend, pool.size, pool.tasksDone, pool.itemsDone, Math.round(pool.rate), pool.queued], () => append(el('h3'),
      el('span', '', `Pool ${pool.poolId}`), el('span', `badge ${pool.state}`, pool.state),
      el('span', 'muted', `${pool.backend} · ${pool.size} workers · ${pool.tasksDone} tasks (${pool.itemsDone} items) · ${rate(pool.rate)} · ${pool.queued} queued`)));
    part(holder, 'broken', pool.error || null, () => (pool.error ? details(`${pool.id}/broken`, errorLine(pool.error), pool.error.stack) : null));
    part(holder, 'maps', pool.maps, () => mapsPart(pool));
    part(holder, 'workers', [pool.workers, pool.workers.some((w) => w.current) ? at : 0], () => workersPart(pool, at));
    if (!holder.stream) {
      holder.stream = streamPart();
      card.append(holder.stream.part);
    }
    drawStream(holder.stream.canvas, pool, at);
    part(holder, 'lower', [pool.slowest, pool.errors, pool.crashes, pool.tasksFailed], () => append(el('div', 'grid2'), slowestPart(pool), errorsPart(pool)));
    part(holder, 'insights', pool.insights ? [pool.insights.tasksCompleted, pool.insights.tasksFailed, pool.insights.totalMs, pool.insights.queue, pool.insights.eventLoop] : null, () => insightsPart(pool));
    return card;
  }

  function processSection(proc, at) {
    let holder = shown.get(`process:${proc.id}`);
    if (!holder) {
      const section = el('section');
      section.dataset.processId = proc.id;
      holder = { body: section, parts: new Map(), heading: el('h2'), pools: el('div') };
      section.append(holder.heading, holder.pools);
      shown.set(`process:${proc.id}`, holder);
    }
    holder.body.className = `process${proc.connected ? '' : ' gone'}`;
    const heading = `${proc.title} · pid ${proc.pid} · ${proc.host}${proc.connected ? '' : ' · gone'}`;
    if (holder.heading.textContent !== heading) holder.heading.textContent = heading;
    const cards = proc.pools.length === 0 ? [el('p', 'muted', 'no pool')] : proc.pools.map((pool) => poolCard(pool, at));
    keepOrder(holder.pools, cards);
    return holder.body;
  }

  /** Makes `parent`'s children exactly `children`, moving only what is out of place. */
  function keepOrder(parent, children) {
    children.forEach((child, i) => {
      if (parent.children[i] !== child) parent.insertBefore(child, parent.children[i] || null);
    });
    while (parent.children.length > children.length) parent.lastElementChild.remove();
  }

  function render(state) {
    const live = new Set();
    const sections = state.processes.map((proc) => {
      live.add(`process:${proc.id}`);
      for (const pool of proc.pools) live.add(`pool:${pool.id}`);
      return processSection(proc, state.at);
    });
    for (const key of shown.keys()) if (!live.has(key)) shown.delete(key);
    const empty = document.getElementById('empty') || el('p', 'muted', 'No pool yet.');
    empty.id = 'empty';
    keepOrder(root, sections.length === 0 ? [empty] : sections);
    updates++;
    document.body.dataset.updates = String(updates);
    document.body.dataset.seq = String(state.seq);
    updated.textContent = `updated ${clock(state.at)} · ${updates} updates`;
  }

  // ---- the stream ----
  function setStatus(state, text) {
    status.className = `status ${state}`;
    status.dataset.state = state;
    status.textContent = text;
  }
  const source = new EventSource(`events${query}`);
  source.addEventListener('open', () => setStatus('live', 'live'));
  source.addEventListener('error', () => setStatus(source.readyState === EventSource.CLOSED ? 'lost' : 'connecting', source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…'));
  source.addEventListener('state', (event) => {
    try {
      render(JSON.parse(event.data));
    } catch (error) {
      setStatus('lost', `cannot show an update: ${error && error.message}`);
    }
  });
})();
