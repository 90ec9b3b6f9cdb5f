// The page's script: listens to the server's Server-Sent Events (a full snapshot on every
// (re)connect, then lcd / serial / net / status / panels / controls changes), draws the LCD
// dot by dot from the glyph bitmaps the server sends, and posts the controls. No framework.

const CONSOLE_LINES = 400;
const DOT = 3;
const GAP = 1;
const PITCH = DOT + GAP;
const CELL_W = 5 * PITCH - GAP;
const CELL_H = 8 * PITCH - GAP;

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'for' || k === 'role') e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
};

// ---- LCD ---------------------------------------------------------------------

let lcd = null;
let cells = [];
let blinkOn = true;
let blinkTimer = null;

function buildGlass(s) {
  const glass = $('lcd');
  glass.replaceChildren();
  glass.style.gridTemplateColumns = `repeat(${s.columns}, minmax(0, 1fr))`;
  glass.style.setProperty('--columns', String(s.columns));
  cells = [];
  for (let r = 0; r < s.rows; r++) {
    const row = [];
    for (let c = 0; c < s.columns; c++) {
      const cv = el('canvas', {
        class: 'cell',
        width: CELL_W,
        height: CELL_H,
        'data-row': String(r),
        'data-col': String(c),
      });
      glass.append(cv);
      row.push(cv);
    }
    cells.push(row);
  }
}

function drawCell(cv, bits, colors) {
  const g = cv.getContext('2d');
  g.clearRect(0, 0, CELL_W, CELL_H);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 5; x++) {
      g.fillStyle = bits[y] & (0x10 >> x) ? colors.dotOn : colors.dotOff;
      g.fillRect(x * PITCH, y * PITCH, DOT, DOT);
    }
  }
}

function drawLcd() {
  const s = lcd;
  if (!s) return;
  if (cells.length !== s.rows || (cells[0] && cells[0].length !== s.columns)) buildGlass(s);
  const colors = s.backlight ? s.colors.backlit : s.colors.unlit;
  const glass = $('lcd');
  glass.style.backgroundColor = colors.glass;
  glass.classList.toggle('lit', s.backlight);
  glass.classList.toggle('unlit', !s.backlight);
  for (let r = 0; r < s.rows; r++) {
    for (let c = 0; c < s.columns; c++) {
      const code = s.codes[r][c];
      let bits = s.displayOn ? (s.glyphs[code] || [0, 0, 0, 0, 0, 0, 0, 0]).slice() : [0, 0, 0, 0, 0, 0, 0, 0];
      if (s.cursor && s.cursor.row === r && s.cursor.col === c) {
        if (s.cursorOn) bits[7] = 0x1f;
        if (s.blinkOn && blinkOn) bits = bits.map(() => 0x1f);
      }
      const cv = cells[r][c];
      cv.dataset.code = String(code);
      drawCell(cv, bits, colors);
    }
  }
  $('lcd-text').textContent = s.text.join('\n');
  $('lcd-geometry').textContent = `${s.columns}x${s.rows}`;
  $('lcd-backlight').textContent = s.backlight ? 'on' : 'off';
  $('lcd-display').textContent = s.displayOn ? 'on' : 'off';
  $('lcd').setAttribute('data-backlight', s.backlight ? 'on' : 'off');
  if (s.blinkOn && s.cursor && !blinkTimer) {
    blinkTimer = setInterval(
      () => {
        blinkOn = !blinkOn;
        drawLcd();
      },
      Math.max(100, s.blinkMs),
    );
  } else if (!(s.blinkOn && s.cursor) && blinkTimer) {
    clearInterval(blinkTimer);
    blinkTimer = null;
    blinkOn = true;
  }
}

// ---- console -----------------------------------------------------------------

const ARROWS = { 'to-board': '→', 'from-board': '←', sim: '·' };

function addConsole(lines, replace) {
  const box = $('console');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  if (replace) box.replaceChildren();
  for (const l of lines) {
    box.append(
      el(
        'li',
        { class: l.dir, 'data-seq': String(l.seq) },
        el('span', { class: 't', text: `${(l.simMs / 1000).toFixed(3).padStart(9)} s ${ARROWS[l.dir] || '?'}` }),
        l.dir === 'sim' ? `[sim] ${l.text}` : l.text,
      ),
    );
  }
  while (box.childElementCount > CONSOLE_LINES) box.firstElementChild.remove();
  if (atBottom || replace) box.scrollTop = box.scrollHeight;
}

// ---- network, status, panels --------------------------------------------------

function fact(dl, name, value, cls) {
  dl.append(el('dt', { text: name }), el('dd', { text: value, class: cls || '' }));
}

function showNet(n) {
  $('net-card').hidden = !n;
  if (!n) return;
  const dl = $('net-facts');
  dl.replaceChildren();
  fact(dl, 'chip', n.chip);
  fact(dl, 'link', n.link ? 'up' : 'down (cable pulled)', n.link ? 'good' : 'bad');
  fact(dl, 'address', `${n.ip} / ${n.mask}, gateway ${n.gateway}`);
  const st = n.dhcp.stats;
  fact(
    dl,
    'DHCP server',
    `${n.dhcp.mode}: discover ${st.discover}, offer ${st.offer}, request ${st.request}, ack ${st.ack}, nak ${st.nak}, ignored ${st.ignored}`,
  );
  fact(dl, 'leases', n.dhcp.leases.length ? n.dhcp.leases.map((l) => `${l.ip} (${l.mac})`).join(', ') : 'none');
  fact(dl, 'fault injection', n.faults, n.faults === 'none' ? '' : 'bad');
  const tb = $('sockets');
  tb.replaceChildren();
  for (const s of n.sockets) {
    const cmds = Object.entries(s.commands)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    tb.append(
      el(
        'tr',
        {},
        ...[s.n, s.protocol, s.status, s.localPort || '', s.remote, s.bytesIn, s.bytesOut, s.connects, cmds].map((v) =>
          el('td', { text: String(v) }),
        ),
      ),
    );
  }
}

function showStatus(s) {
  const resets = Object.entries(s.resets)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  let line = `simulated time ${(s.simMs / 1000).toFixed(1)} s · resets: ${resets}`;
  if (s.halted) line += ' · CPU halted';
  if (s.fault) line += ` · fault: ${s.fault}`;
  $('status').textContent = line;
}

function showPanels(panels) {
  const box = $('panels');
  box.replaceChildren();
  for (const p of panels) {
    const sec = el(
      'section',
      { class: 'card', 'data-panel': p.id, 'aria-label': p.title },
      el('h2', { text: p.title }),
    );
    if (p.rows?.length) {
      const dl = el('dl', { class: 'facts' });
      for (const [k, v] of p.rows) fact(dl, k, v);
      sec.append(dl);
    }
    if (p.table) {
      sec.append(
        el(
          'table',
          { class: 'grid' },
          el('thead', {}, el('tr', {}, ...p.table.head.map((h) => el('th', { scope: 'col', text: h })))),
          el('tbody', {}, ...p.table.rows.map((r) => el('tr', {}, ...r.map((c) => el('td', { text: c }))))),
        ),
      );
    }
    box.append(sec);
  }
}

// ---- controls -----------------------------------------------------------------

let controlIds = '';
const controlEls = new Map();

function result(text, bad) {
  const r = $('control-result');
  r.textContent = text;
  r.classList.toggle('error', Boolean(bad));
}

async function post(id, value) {
  try {
    const res = await fetch(`/control/${encodeURIComponent(id)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(value === undefined ? {} : { value }),
    });
    const text = await res.text();
    if (!res.ok) {
      result(`${res.status}: ${text.trim()}`, true);
      return;
    }
    result(JSON.parse(text).message);
  } catch (e) {
    result(`the server did not answer: ${e.message}`, true);
  }
}

function buildControls(list) {
  const box = $('controls');
  box.replaceChildren();
  controlEls.clear();
  const groups = new Map();
  for (const c of list) {
    if (!groups.has(c.group)) {
      const g = el('div', { class: 'group', role: 'group', 'aria-label': c.group }, el('h3', { text: c.group }));
      groups.set(c.group, g);
      box.append(g);
    }
    const row = el('div', { class: 'control', 'data-control': c.id });
    let field = null;
    if (c.choices) {
      const id = `ctl-${c.id}`;
      field = el(
        'select',
        { id, 'aria-label': `${c.label} (${c.group})` },
        ...c.choices.map((ch) => el('option', { value: ch.value, text: ch.label })),
      );
      row.append(field);
    } else if (c.input) {
      field = el('input', {
        type: 'text',
        id: `ctl-${c.id}`,
        maxLength: c.input.maxLength,
        'aria-label': c.input.label,
        autocomplete: 'off',
      });
      field.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') button.click();
      });
      row.append(field);
    }
    const button = el('button', { type: 'button', text: c.label });
    button.addEventListener('click', async () => {
      const v = field ? field.value : undefined;
      await post(c.id, v);
      if (c.input && field) field.value = '';
    });
    const state = el('span', { class: 'state', text: c.state });
    row.append(button, state);
    groups.get(c.group).append(row);
    controlEls.set(c.id, { button, state, field });
  }
}

function showControls(list) {
  const ids = list.map((c) => c.id).join(',');
  if (ids !== controlIds) {
    buildControls(list);
    controlIds = ids;
  }
  for (const c of list) {
    const e = controlEls.get(c.id);
    if (!e) continue;
    e.button.textContent = c.label;
    e.button.disabled = !c.enabled;
    e.state.textContent = c.state;
    if (e.field && c.choices && c.value && document.activeElement !== e.field && !e.field.dataset.touched)
      e.field.value = c.value;
  }
}

document.addEventListener('change', (ev) => {
  if (ev.target instanceof HTMLSelectElement) ev.target.dataset.touched = '1';
});

// ---- the event stream ------------------------------------------------------------

function connState(state, text) {
  const c = $('conn');
  c.dataset.state = state;
  c.textContent = text;
}

let source = null;
let retryTimer = null;

function connect() {
  if (retryTimer) {
    clearTimeout(retryTimer);
    retryTimer = null;
  }
  source = new EventSource('/events');
  source.addEventListener('snapshot', (ev) => {
    const s = JSON.parse(ev.data);
    document.title = s.title;
    $('title').textContent = s.title;
    lcd = s.lcd;
    cells = [];
    drawLcd();
    addConsole(s.console, true);
    showNet(s.net);
    showStatus(s.status);
    showPanels(s.panels);
    controlIds = '';
    showControls(s.controls);
    connState('live', 'live');
    document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
  });
  source.addEventListener('lcd', (ev) => {
    lcd = JSON.parse(ev.data);
    drawLcd();
  });
  source.addEventListener('serial', (ev) => addConsole(JSON.parse(ev.data), false));
  source.addEventListener('net', (ev) => showNet(JSON.parse(ev.data)));
  source.addEventListener('status', (ev) => showStatus(JSON.parse(ev.data)));
  source.addEventListener('panels', (ev) => showPanels(JSON.parse(ev.data)));
  source.addEventListener('controls', (ev) => showControls(JSON.parse(ev.data)));
  source.onerror = () => {
    connState('reconnecting', 'reconnecting…');
    // EventSource retries by itself after a dropped stream; once it gives up (CLOSED), start anew.
    if (source.readyState === EventSource.CLOSED && !retryTimer) retryTimer = setTimeout(connect, 1000);
  };
}

connect();
