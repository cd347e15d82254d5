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

  // ---- setting what changed, and nothing else ----
  // Each element keeps the value it was last given: an update that brings the same value touches nothing, so
  // the browser has nothing to restyle, lay out or paint for it.
  function setText(node, text) {
    const value = text === undefined || text === null ? '' : String(text);
    if (node.shownText === value) return;
    node.shownText = value;
    // The text node changes in place: setting textContent would make a new node each time (garbage, and a
    // relayout of the node's box from scratch).
    const only = node.firstChild;
    if (only !== null && only === node.lastChild && only.nodeType === Node.TEXT_NODE && value !== '') only.data = value;
    else node.textContent = value;
  }
  function setData(node, name, value) {
    const text = String(value);
    if (node.dataset[name] !== text) node.dataset[name] = text;
  }
  function setClass(node, className) {
    if (node.className !== className) node.className = className;
  }
  function setWidth(node, width) {
    if (node.shownWidth !== width) {
      node.shownWidth = width;
      node.style.width = width;
    }
  }

  // ---- the parts of a pool, each made once and then updated in place ----
  function mapsPart() {
    const part = el('div', 'maps');
    part.append(el('h4', '', 'Maps'));
    return { part, lines: [] };
  }

  function mapLine() {
    const box = el('div', 'map-entry');
    const line = el('div', 'map');
    const label = el('span');
    const bar = el('div', 'bar');
    const fill = el('div', 'fill');
    bar.append(fill);
    const numbers = el('span', 'muted');
    append(line, label, bar, numbers);
    box.append(line);
    return { box, line, label, fill, numbers, error: null, errorKey: '' };
  }

  function updateMaps(holder, pool) {
    if (pool.maps.length === 0) {
      if (holder.maps) holder.maps.part.hidden = true;
      return;
    }
    if (!holder.maps) {
      holder.maps = mapsPart();
      holder.slots.maps.replaceWith(holder.maps.part);
    }
    const { part, lines } = holder.maps;
    part.hidden = false;
    // Lines are kept by position, not by map: a pool that runs many short maps changes the lines' texts and
    // widths, and makes no element.
    const boxes = [part.firstElementChild];
    pool.maps.forEach((map, i) => {
      const shown = (lines[i] ??= mapLine());
      const { line } = shown;
      setClass(line, `map ${map.state}`);
      setData(line, 'mapId', map.mapId);
      setData(line, 'done', map.done);
      setData(line, 'total', map.total === undefined ? '' : map.total);
      setData(line, 'state', map.state);
      const fraction = map.total ? Math.min(1, map.done / map.total) : map.state === 'running' ? 0 : 1;
      setWidth(shown.fill, `${(fraction * 100).toFixed(1)}%`);
      setText(shown.label, `${map.kind} ${map.name}`);
      const numbers = map.total === undefined ? `${map.done} done` : `${map.done}/${map.total} (${pct(map.done, map.total)})`;
      const eta = map.state === 'running' ? (map.etaMs === undefined ? 'ETA –' : `ETA ${ms(map.etaMs)}`) : map.state === 'failed' ? 'failed' : `in ${ms(map.elapsedMs)}`;
      setText(shown.numbers, `${numbers} · ${rate(map.rate)} · ${eta}`);
      const errorKey = map.error ? `${map.mapId}\n${map.error.name}\n${map.error.message}\n${map.error.stack}` : '';
      if (errorKey !== shown.errorKey) {
        shown.errorKey = errorKey;
        shown.error?.remove();
        shown.error = map.error ? details(`${pool.id}/map/${map.mapId}`, errorLine(map.error), map.error.stack) : null;
        if (shown.error) shown.box.append(shown.error);
      }
      boxes.push(shown.box);
    });
    lines.length = pool.maps.length;
    keepOrder(part, boxes);
  }

  function ratioCell() {
    const box = el('div');
    const bar = el('div', 'ratio');
    const busy = el('div', 'busy');
    const wait = el('div', 'wait');
    append(bar, busy, wait);
    const text = el('span', 'muted');
    append(box, bar, text);
    return { box, bar, busy, wait, text };
  }

  function updateRatio(cell, worker) {
    const whole = worker.busyMs + worker.waitMs + worker.idleMs;
    // Whole percents: a bar that moves by less than one does not change (nor repaint).
    const share = (part) => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : '0');
    setWidth(cell.busy, share(worker.busyMs));
    setWidth(cell.wait, share(worker.waitMs));
    const text = `${pct(worker.busyMs, whole)} busy · ${pct(worker.waitMs, whole)} wait · ${pct(worker.idleMs, whole)} idle`;
    setText(cell.text, text);
    if (cell.bar.title !== text) cell.bar.title = text;
  }

  function workersPart() {
    const part = el('div');
    const t = table(['#', 'state', 'pid', 'running now', 'busy / wait / idle', 'tasks', 'items', 'RSS', 'heap', 'restarts', 'last crash'], [], 'workers');
    append(part, el('h4', '', 'Workers'), t);
    return { part, body: t.tBodies[0], rows: new Map() };
  }

  function workerRow() {
    const tr = el('tr');
    const cells = Array.from({ length: 11 }, (_, i) => el('td', i >= 5 && i <= 9 ? 'num' : ''));
    tr.append(...cells);
    const badge = el('span', 'badge');
    cells[1].append(badge);
    const ratio = ratioCell();
    cells[4].append(ratio.box);
    return { tr, cells, badge, ratio, crashKey: '' };
  }

  function updateWorkers(holder, pool, at) {
    if (!holder.workers) {
      holder.workers = workersPart();
      holder.slots.workers.replaceWith(holder.workers.part);
    }
    const { body, rows } = holder.workers;
    const order = [];
    for (const worker of pool.workers) {
      let row = rows.get(worker.index);
      if (!row) {
        row = workerRow();
        rows.set(worker.index, row);
      }
      const { tr, cells } = row;
      setData(tr, 'worker', worker.index);
      setData(tr, 'state', worker.state);
      setData(tr, 'restarts', worker.restarts);
      setText(cells[0], worker.index);
      setClass(row.badge, `badge ${worker.state}`);
      setText(row.badge, worker.state);
      setText(cells[2], worker.pid || '–');
      setText(cells[3], worker.current ? `${worker.current.name}${worker.current.items > 1 ? ` ×${worker.current.items}` : ''} · ${ms(Math.max(0, at - worker.current.since))}` : '');
      updateRatio(row.ratio, worker);
      setText(cells[5], worker.tasksDone);
      setText(cells[6], worker.itemsDone);
      setText(cells[7], worker.memory ? `${bytes(worker.memory.rss)}${worker.memory.rssScope === 'process' ? ' (process)' : ''}` : '–');
      setText(cells[8], worker.memory ? `${bytes(worker.memory.heapUsed)} / ${bytes(worker.memory.heapTotal)}` : '–');
      setText(cells[9], worker.restarts);
      const crash = worker.lastCrash;
      const crashKey = crash ? `${crash.workerId}/${crash.at}` : '';
      if (crashKey !== row.crashKey) {
        row.crashKey = crashKey;
        cells[10].replaceChildren(...(crash ? [crashNode(pool, crash, 'row')] : []));
      }
      order.push(tr);
    }
    for (const index of rows.keys()) if (!pool.workers.some((worker) => worker.index === index)) rows.delete(index);
    keepOrder(body, order);
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

  const figureNames = [['start-up', 'startup'], ['initializer', 'init'], ['waiting', 'waiting'], ['working', 'working'], ['exit', 'exit']];

  function insightsPart() {
    const part = el('div', 'insights');
    const cells = new Map();
    const rows = figureNames.map(([label, key]) => {
      const tds = [1, 2, 3, 4].map(() => el('td', 'num'));
      cells.set(key, tds);
      const tr = el('tr');
      append(tr, el('td', '', label), ...tds);
      return tr;
    });
    const summary = el('p', 'muted');
    append(part, el('h4', '', 'Insights (pool.insights())'), table(['', 'total', 'mean', 'std', 'ratio'], rows, 'figures'), summary);
    return { part, cells, summary };
  }

  function updateInsights(holder, pool) {
    const insights = pool.insights;
    if (!insights) {
      if (holder.insights) holder.insights.part.hidden = true;
      return;
    }
    if (!holder.insights) {
      holder.insights = insightsPart();
      holder.slots.insights.replaceWith(holder.insights.part);
    }
    const { part, cells, summary } = holder.insights;
    part.hidden = false;
    for (const [, key] of figureNames) {
      const figure = insights[key];
      const [total, mean, std, ratio] = cells.get(key);
      setText(total, ms(figure.totalMs));
      setText(mean, ms(figure.meanMs));
      setText(std, ms(figure.stdMs));
      setText(ratio, pct(figure.ratio, 1));
    }
    const loop = insights.eventLoop;
    setText(summary, `tasks ${insights.tasksCompleted} done, ${insights.tasksFailed} failed, ${insights.tasksRetried} retried · ` +
      `restarts ${insights.restarts.total} · queue ${insights.queue.waiting} waiting (peak ${insights.queue.peakWaiting}), ${insights.queue.inflight} in flight · ` +
      `event loop ${pct(loop.utilization, 1)} busy, delay mean ${ms(loop.delayMeanMs)}, p99 ${ms(loop.delayP99Ms)}`);
  }

  /**
   * What is on the page, by key: each pool's and process's elements, made once and updated in place (a text,
   * a width, an attribute set only when it changed), so an update costs the browser only what changed, and
   * the task stream's canvas is redrawn in place. A page left open on a fast pool costs the machine little.
   */
  const shown = new Map();

  /**
   * Makes `target` look like `source` (built fresh when a rare part changed: the slowest tasks, the errors) by
   * changing only what differs: text, attributes, children past the end. The elements stay, and so does
   * whatever the reader unfolded.
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

  /** What a list shows, in a few characters: the lists change seldom, and their texts (stacks) can be long. */
  function listsKey(pool) {
    const slowest = pool.slowest.map((task) => `${task.taskId}:${task.runMs}`).join(',');
    const error = pool.errors[0];
    const crash = pool.crashes[0];
    return `${slowest}|${pool.errors.length}:${error ? `${error.taskId}/${error.at}` : ''}|${pool.crashes.length}:${crash ? `${crash.workerId}/${crash.at}` : ''}|${pool.tasksFailed}`;
  }

  function poolCard(pool, at) {
    let holder = shown.get(`pool:${pool.id}`);
    if (!holder) {
      const card = el('section');
      card.dataset.poolId = pool.id;
      const title = el('h3');
      const name = el('span');
      const badge = el('span');
      const summary = el('span', 'muted');
      append(title, name, badge, summary);
      // Where the parts go, in order: each is put in place of its marker when first shown.
      const slots = { broken: document.createComment('broken'), maps: document.createComment('maps'), workers: document.createComment('workers'), insights: document.createComment('insights') };
      holder = { body: card, title: { name, badge, summary }, slots, maps: null, workers: null, insights: null, stream: streamPart() };
      append(card, title, slots.broken, slots.maps, slots.workers, holder.stream.part);
      holder.lower = document.createComment('lower');
      card.append(holder.lower, slots.insights);
      shown.set(`pool:${pool.id}`, holder);
    }
    const card = holder.body;
    setClass(card, `pool ${pool.state}`);
    setData(card, 'state', pool.state);
    setText(holder.title.name, `Pool ${pool.poolId}`);
    setClass(holder.title.badge, `badge ${pool.state}`);
    setText(holder.title.badge, pool.state);
    setText(holder.title.summary, `${pool.backend} · ${pool.size} workers · ${pool.tasksDone} tasks (${pool.itemsDone} items) · ${rate(pool.rate)} · ${pool.queued} queued`);
    // The rare parts (why the pool broke; the slowest tasks and the errors) are rebuilt when their key changes, and morphed.
    const brokenKey = pool.error ? `${pool.error.name}\n${pool.error.message}\n${pool.error.stack}` : '';
    if (holder.brokenKey !== brokenKey) {
      holder.brokenKey = brokenKey;
      const node = pool.error ? details(`${pool.id}/broken`, errorLine(pool.error), pool.error.stack) : document.createComment('broken');
      holder.slots.broken.replaceWith(node);
      holder.slots.broken = node;
    }
    updateMaps(holder, pool);
    updateWorkers(holder, pool, at);
    drawStream(holder.stream.canvas, pool, at);
    const key = listsKey(pool);
    if (holder.listsKey !== key) {
      holder.listsKey = key;
      const fresh = append(el('div', 'grid2'), slowestPart(pool), errorsPart(pool));
      holder.lower = holder.lower.nodeType === Node.ELEMENT_NODE ? morph(holder.lower, fresh) : (holder.lower.replaceWith(fresh), fresh);
    }
    updateInsights(holder, pool);
    return card;
  }

  function processSection(proc, at) {
    let holder = shown.get(`process:${proc.id}`);
    if (!holder) {
      const section = el('section');
      section.dataset.processId = proc.id;
      holder = { body: section, heading: el('h2'), pools: el('div') };
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
    // The clock changes once a second; a count of updates here would change the header at every update.
    setText(updated, `updated ${clock(state.at)}`);
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
  // The newest state waits for the next frame: states that came between two frames are never parsed nor drawn,
  // and a page in a hidden tab (no frames) does nothing until it is shown again.
  let pending = null;
  function draw() {
    const data = pending;
    pending = null;
    try {
      render(JSON.parse(data));
    } catch (error) {
      setStatus('lost', `cannot show an update: ${error && error.message}`);
    }
  }
  source.addEventListener('state', (event) => {
    if (pending === null) requestAnimationFrame(draw);
    pending = event.data;
  });
})();
