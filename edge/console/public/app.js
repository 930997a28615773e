// calle node console: plain browser JavaScript, no framework and no build step, served from the
// edge node itself (the cabinet usually has no internet). The page's Content-Security-Policy is
// default-src 'self', so nothing here may be inline: no innerHTML with data, no style attributes.
'use strict';

(() => {
  /** Every user-visible string, in both languages. {name} marks a value filled in by fmt(). */
  const STRINGS = {
    es: {
      title: 'Consola del nodo',
      connecting: 'Conectando…',
      live: 'En directo',
      reconnecting: 'Reconectando…',
      district: 'Distrito',
      policy: 'Política',
      coordinator: 'Coordinador',
      outbox: 'Pendiente de envío',
      outboxNone: 'nada pendiente',
      outboxPending: '{n} pendientes · el más antiguo hace {age}',
      connected: 'conectado',
      disconnected: 'desconectado',
      noDevices: 'Sin dispositivos.',
      'kind.luminaire': 'Luminarias',
      'kind.signal-head': 'Semáforos',
      'kind.detector': 'Detectores',
      'kind.fill-sensor': 'Sensores de llenado',
      count: '{n} en total',
      unavailableCount: '{n} no disponibles',
      'col.id': 'Id',
      'col.group': 'Grupo',
      'col.availability': 'Estado',
      'col.level': 'Nivel',
      'col.power': 'Potencia',
      'col.aspect': 'Indicación',
      'col.fill': 'Llenado',
      'col.other': 'Otros valores',
      'col.reason': 'Motivo',
      available: 'Disponible',
      unavailable: 'No disponible',
      updated: 'actualizado a las {time}',
      yes: 'sí',
      no: 'no',
      'aspect.red': 'rojo',
      'aspect.amber': 'ámbar',
      'aspect.green': 'verde',
      'aspect.off': 'apagado',
      switchTo: 'English',
    },
    en: {
      title: 'Node console',
      connecting: 'Connecting…',
      live: 'Live',
      reconnecting: 'Reconnecting…',
      district: 'District',
      policy: 'Policy',
      coordinator: 'Coordinator',
      outbox: 'Waiting to send',
      outboxNone: 'nothing pending',
      outboxPending: '{n} pending · oldest {age} ago',
      connected: 'connected',
      disconnected: 'disconnected',
      noDevices: 'No devices.',
      'kind.luminaire': 'Luminaires',
      'kind.signal-head': 'Signal heads',
      'kind.detector': 'Detectors',
      'kind.fill-sensor': 'Fill sensors',
      count: '{n} in total',
      unavailableCount: '{n} unavailable',
      'col.id': 'Id',
      'col.group': 'Group',
      'col.availability': 'Status',
      'col.level': 'Level',
      'col.power': 'Power',
      'col.aspect': 'Aspect',
      'col.fill': 'Fill',
      'col.other': 'Other values',
      'col.reason': 'Reason',
      available: 'Available',
      unavailable: 'Unavailable',
      updated: 'updated at {time}',
      yes: 'yes',
      no: 'no',
      'aspect.red': 'red',
      'aspect.amber': 'amber',
      'aspect.green': 'green',
      'aspect.off': 'off',
      switchTo: 'Español',
    },
  };

  // Device kinds in display order, with the state points shown in their own column. The point
  // names must match the device catalogue; any other point still shows under "other values".
  const KINDS = [
    {
      kind: 'luminaire',
      points: [
        { name: 'level', unit: '%' },
        { name: 'power', unit: 'W' },
      ],
    },
    { kind: 'signal-head', points: [{ name: 'aspect' }] },
    { kind: 'detector', points: [] },
    { kind: 'fill-sensor', points: [{ name: 'fill', unit: '%' }] },
  ];

  // Signal aspects, as words or as one SUMO-style state character (REFERENCE: rRgGyYuoOs).
  const ASPECTS = {
    r: 'red',
    R: 'red',
    red: 'red',
    y: 'amber',
    Y: 'amber',
    u: 'amber',
    amber: 'amber',
    yellow: 'amber',
    g: 'green',
    G: 'green',
    green: 'green',
    o: 'off',
    O: 'off',
    s: 'off',
    off: 'off',
    dark: 'off',
  };

  /** If the stream is quiet this long (status comes every 2 s), the connection is dead. */
  const SILENCE_MS = 8000;
  const RETRY_MIN_MS = 1000;
  const RETRY_MAX_MS = 30000;

  const devices = new Map();
  let status = null;
  let conn = 'connecting';
  let lang = chooseLanguage();

  // ---- language ------------------------------------------------------------------------------

  function chooseLanguage() {
    try {
      const saved = localStorage.getItem('calle.lang');
      if (saved === 'es' || saved === 'en') return saved;
    } catch {
      // Storage can be disabled; fall back to the browser's languages.
    }
    for (const tag of navigator.languages || [navigator.language || '']) {
      const base = String(tag).toLowerCase().slice(0, 2);
      if (base === 'es' || base === 'en') return base;
    }
    return 'es'; // Madrid
  }

  function t(key, values) {
    const text = STRINGS[lang][key] ?? STRINGS.es[key] ?? key;
    return values ? text.replace(/\{(\w+)\}/g, (_, name) => String(values[name])) : text;
  }

  function setLanguage(next) {
    lang = next;
    try {
      localStorage.setItem('calle.lang', next);
    } catch {
      // Not remembered; the choice still applies to this page.
    }
    applyLanguage();
    renderStatus();
    renderAll();
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    const button = byId('lang');
    button.textContent = t('switchTo');
    button.lang = lang === 'es' ? 'en' : 'es';
    document.title = `calle · ${t('title')}`;
    renderConn();
  }

  // ---- formatting ----------------------------------------------------------------------------

  function byId(id) {
    return document.getElementById(id);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function number(value) {
    return new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(value);
  }

  function age(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min`;
    return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  }

  function value(v, unit) {
    if (v === undefined) return '—';
    if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
    if (typeof v === 'number') return unit ? `${number(v)} ${unit}` : number(v);
    return String(v);
  }

  // ---- rendering -----------------------------------------------------------------------------

  function renderConn() {
    const pill = byId('conn');
    pill.textContent = t(conn);
    pill.className = `conn conn-${conn === 'live' ? 'live' : 'reconnecting'}`;
    // Old values stay on screen but are dimmed while they may be out of date.
    document.body.classList.toggle('stale', conn !== 'live');
  }

  function renderStatus() {
    if (!status) return;
    byId('edge-id').textContent = status.edgeId;
    byId('district').textContent = status.district;
    byId('policy').textContent = `v${status.policyVersion}`;
    for (const link of ['nats', 'coordinator']) {
      const up = status.uplink[link] === 'connected';
      const dd = byId(link);
      dd.textContent = `${up ? '●' : '✕'} ${t(status.uplink[link])}`;
      dd.className = up ? 'ok' : 'bad';
    }
    const { pending, oldestPendingAgeS } = status.outbox;
    const outbox = byId('outbox');
    outbox.textContent =
      pending === 0
        ? t('outboxNone')
        : t('outboxPending', { n: number(pending), age: age(oldestPendingAgeS ?? 0) });
    outbox.className = pending === 0 ? 'ok' : 'warn';
  }

  function cell(row, label, content, className) {
    const td = el('td', className);
    td.dataset.label = label;
    if (typeof content === 'string') td.textContent = content;
    else td.append(content);
    row.append(td);
    return td;
  }

  function aspectNode(v) {
    const aspect = typeof v === 'string' ? ASPECTS[v] : undefined;
    if (!aspect) return document.createTextNode(value(v));
    const span = el('span', `aspect aspect-${aspect}`);
    span.append(el('span', 'dot'), document.createTextNode(` ${t(`aspect.${aspect}`)}`));
    span.title = String(v);
    return span;
  }

  function row(view, points) {
    const tr = el('tr', view.available ? '' : 'unavailable');
    const id = el('div');
    id.append(el('span', 'mono', view.id));
    id.append(
      el('small', 'muted', t('updated', { time: new Date(view.updatedMs).toLocaleTimeString(lang) })),
    );
    cell(tr, t('col.id'), id, 'id');
    cell(tr, t('col.group'), view.group ?? '—');

    const avail = el('div');
    avail.append(
      el(
        'span',
        `badge ${view.available ? 'ok' : 'bad'}`,
        `${view.available ? '●' : '✕'} ${t(view.available ? 'available' : 'unavailable')}`,
      ),
    );
    if (!view.available && view.lastError) avail.append(el('small', 'error', view.lastError));
    cell(tr, t('col.availability'), avail);

    const shown = new Set();
    for (const point of points) {
      shown.add(point.name);
      const v = view.state[point.name];
      cell(tr, t(`col.${point.name}`), point.name === 'aspect' ? aspectNode(v) : value(v, point.unit), 'num');
    }
    const other = Object.entries(view.state)
      .filter(([name]) => !shown.has(name))
      .map(([name, v]) => `${name}: ${value(v)}`)
      .join(' · ');
    cell(tr, t('col.other'), other || '—', 'other');
    cell(tr, t('col.reason'), view.reason ?? '—', 'reason');
    return tr;
  }

  function renderAll() {
    const main = byId('devices');
    for (const section of main.querySelectorAll('section')) section.remove();
    byId('empty').hidden = devices.size > 0;
    const collator = new Intl.Collator(lang, { numeric: true });
    for (const { kind, points } of KINDS) {
      const views = [...devices.values()]
        .filter((v) => v.kind === kind)
        .sort((a, b) => collator.compare(a.group ?? '', b.group ?? '') || collator.compare(a.id, b.id));
      if (views.length === 0) continue;

      const section = el('section', 'kind');
      const h2 = el('h2', '', t(`kind.${kind}`));
      const down = views.filter((v) => !v.available).length;
      h2.append(el('span', 'count', t('count', { n: views.length })));
      if (down > 0) h2.append(el('span', 'count bad', `✕ ${t('unavailableCount', { n: down })}`));
      section.append(h2);

      const table = el('table', 'devices');
      const head = el('tr');
      const columns = ['id', 'group', 'availability', ...points.map((p) => p.name), 'other', 'reason'];
      for (const column of columns) {
        const th = el('th', '', t(`col.${column}`));
        th.scope = 'col';
        head.append(th);
      }
      const thead = el('thead');
      thead.append(head);
      const tbody = el('tbody');
      for (const view of views) tbody.append(row(view, points));
      table.append(thead, tbody);
      section.append(table);
      main.append(section);
    }
  }

  // Updates arrive up to four times a second; draw at most once per frame.
  let frame = 0;
  function scheduleRender() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderAll();
    });
  }

  // ---- live updates --------------------------------------------------------------------------

  let source = null;
  let retryMs = RETRY_MIN_MS;
  let retryTimer = 0;
  let lastMessageMs = Date.now();

  function setConn(next) {
    conn = next;
    renderConn();
  }

  function parse(event) {
    lastMessageMs = Date.now();
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  }

  function reconnectLater() {
    if (source) source.close();
    source = null;
    setConn('reconnecting');
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  }

  function connect() {
    source = new EventSource('/api/events');
    lastMessageMs = Date.now();
    source.onopen = () => {
      retryMs = RETRY_MIN_MS;
      setConn('live');
    };
    source.onerror = () => {
      // EventSource retries network errors by itself; after an HTTP error it gives up (CLOSED),
      // so then we start again ourselves, backing off.
      if (source && source.readyState === EventSource.CLOSED) reconnectLater();
      else setConn('reconnecting');
    };
    source.addEventListener('snapshot', (event) => {
      const views = parse(event);
      if (!Array.isArray(views)) return;
      devices.clear();
      for (const view of views) devices.set(view.id, view);
      scheduleRender();
    });
    source.addEventListener('devices', (event) => {
      const views = parse(event);
      if (!Array.isArray(views)) return;
      for (const view of views) devices.set(view.id, view);
      scheduleRender();
    });
    source.addEventListener('status', (event) => {
      const next = parse(event);
      if (!next) return;
      status = next;
      renderStatus();
    });
  }

  // A phone that changes network can leave a connection half-open for minutes without an error:
  // status arrives every 2 s, so silence means the stream is dead.
  setInterval(() => {
    if (conn === 'live' && Date.now() - lastMessageMs > SILENCE_MS) reconnectLater();
  }, 2000);

  byId('lang').addEventListener('click', () => setLanguage(lang === 'es' ? 'en' : 'es'));
  applyLanguage();
  connect();
})();
