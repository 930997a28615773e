// calle node console: plain browser JavaScript modules, no framework and no build step, served
// from the edge node itself (the cabinet usually has no internet). The page's CSP is
// default-src 'self': nothing here may be inline (see dom.js).
//
// Access: the session cookie is HttpOnly, so the page learns who it is from GET /api/session,
// which also hands over the CSRF token sent back in x-csrf-token on every POST. Any 401 means
// the session locked or ended: the page drops what it shows and asks for a sign-in.
// Idle lock: every request the page makes by itself (refreshes, reloads after a change, the
// stream's session check) is sent as a poll (x-calle-poll), which the node does not count as
// activity; the user's clicks, keys and view changes are reported separately (noteActivity), so
// a console left open still locks after 15 idle minutes, as the dashboard does.
import { age, byId, el, number, time } from './dom.js';
import { currentLang, reasonText, setLang, t, translatePage } from './i18n.js';
import { renderAudit, renderPolicies } from './views-records.js';
import {
  renderContainers,
  renderDevices,
  renderIntersections,
  renderLighting,
  renderOverview,
} from './views-street.js';

const VIEWS = ['overview', 'lighting', 'intersections', 'containers', 'policies', 'audit', 'devices'];
/** If the stream is quiet this long (status comes every 2 s), the connection is dead. */
const SILENCE_MS = 8000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;
/** User activity is reported at most this often; the server locks after 15 idle minutes. */
const ACTIVITY_EVERY_MS = 60_000;
const FILL_HISTORY = 120;

const state = {
  me: null,
  devices: new Map(),
  status: null,
  conn: 'connecting',
  view: 'overview',
  fillHistory: new Map(),
  auditFilters: {},
  records: null,
  /** EdgeSite.lightingGroups, refreshed while the lighting view is open. */
  lighting: [],
  powerHistory: new Map(),
  /** /api/intersections by id (mode, timing waiting for the cycle end), while that view is open. */
  signals: new Map(),
  /** /api/containers/collection, while the containers view is open; null until loaded. */
  collection: null,
  /** The staged policy from /api/policies, for the intersections view. */
  staged: null,
};

// ---- API -------------------------------------------------------------------------------------

/** Options for a request the page makes by itself: it must not keep the session alive. */
const POLL = { poll: true };

async function api(method, url, body, { poll = false } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && state.me) headers['x-csrf-token'] = state.me.csrf;
  if (poll) headers['x-calle-poll'] = '1';
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && state.me && url !== '/api/login') lock('idle');
  return { ok: res.ok, status: res.status, json };
}

// ---- sign-in ---------------------------------------------------------------------------------

function showLogin(message, setupPending) {
  byId('app').hidden = true;
  byId('login').hidden = false;
  byId('setup-form').hidden = !setupPending;
  byId('login-error').textContent = message ?? '';
  byId('login-form').elements.name.focus();
}

function lock(reason) {
  closeStream();
  state.me = null;
  state.devices.clear();
  state.status = null;
  state.records = null;
  showLogin(reason === 'idle' ? t('login.idle') : '', false);
}

function loginMessage(res) {
  if (res.status === 429) {
    const s = res.json?.retryAfterS ?? 60;
    return t(res.json?.code === 'CONSOLE_LOCKED_OUT' ? 'login.locked' : 'login.rate', { s });
  }
  if (res.status === 401) return t('login.failed');
  return t('error', { message: res.json?.message ?? res.status });
}

byId('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const res = await api('POST', '/api/login', {
    name: form.elements.name.value,
    password: form.elements.password.value,
  });
  form.elements.password.value = '';
  if (!res.ok) {
    byId('login-error').textContent = loginMessage(res);
    return;
  }
  start(res.json);
});

byId('setup-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = event.currentTarget.elements;
  const res = await api('POST', '/api/setup', {
    token: f.token.value.trim(),
    name: f.name.value,
    password: f.password.value,
  });
  f.password.value = '';
  if (!res.ok) {
    byId('setup-error').textContent = t('error', { message: res.json?.message ?? res.status });
    return;
  }
  start(res.json);
});

byId('logout').addEventListener('click', async () => {
  await api('POST', '/api/logout');
  lock('logout');
});

// Clicks, keys and view changes are the user's activity (CR 2.5): an open page alone does not
// keep a session.
let lastActivityMs = Date.now();
function noteActivity() {
  if (!state.me || Date.now() - lastActivityMs < ACTIVITY_EVERY_MS) return;
  lastActivityMs = Date.now();
  void api('GET', '/api/session');
}
for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, noteActivity);

// ---- rendering -------------------------------------------------------------------------------

function renderConn() {
  const pill = byId('conn');
  pill.textContent = t(state.conn);
  pill.className = `conn conn-${state.conn === 'live' ? 'live' : 'reconnecting'}`;
  // Old values stay on screen but are dimmed while they may be out of date.
  document.body.classList.toggle('stale', state.conn !== 'live');
}

function renderStatus() {
  const status = state.status;
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

function renderHeader() {
  byId('who').textContent = state.me ? `${state.me.user} · ${t(`role.${state.me.role}`)}` : '';
  for (const a of byId('nav').querySelectorAll('a')) {
    a.textContent = t(`nav.${a.dataset.view}`);
    if (a.dataset.view === state.view) {
      a.setAttribute('aria-current', 'page');
      a.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    } else a.removeAttribute('aria-current');
  }
  for (const b of document.querySelectorAll('.lang-switch')) {
    b.textContent = t('switchTo');
    b.lang = currentLang() === 'es' ? 'en' : 'es';
  }
}

const refusal = (json, fallback) => reasonText(json?.reasonCode, json?.reason ?? json?.message ?? fallback);

const actions = {
  can: (permission) => Boolean(state.me?.permissions.includes(permission)),
  confirm,
  override: async (group, levelPct, durationS) => {
    const res = await api('POST', `/api/lighting/${encodeURIComponent(group)}/override`, {
      levelPct,
      durationS,
    });
    if (res.ok && res.json.ok)
      toast(t('override.done', { group, level: levelPct, until: time(res.json.expiresMs) }), 'ok');
    else toast(t('override.refused', { reason: refusal(res.json, res.status) }), 'bad');
    void loadLighting();
  },
  endOverride: async (group) => {
    const res = await api('POST', `/api/lighting/${encodeURIComponent(group)}/override/clear`);
    toast(
      res.ok && res.json.ok
        ? t('override.ended', { group })
        : t('override.refused', { reason: refusal(res.json, res.status) }),
      res.ok && res.json.ok ? 'ok' : 'bad',
    );
    void loadLighting();
  },
};

// Groups come from /api/lighting: on opening the view, when a luminaire changes (an override
// that expired changes the levels), and every LIGHTING_POLL_MS for the power chart.
const LIGHTING_POLL_MS = 10_000;
const POWER_HISTORY = 180;
let lightingLoading = false;
let lightingAgain = false;
async function loadLighting() {
  if (lightingLoading) {
    lightingAgain = true;
    return;
  }
  lightingLoading = true;
  try {
    const res = await api('GET', '/api/lighting', undefined, POLL);
    if (!res.ok) return;
    state.lighting = res.json;
    const now = Date.now();
    for (const g of res.json) {
      const points = state.powerHistory.get(g.id) ?? [];
      points.push([now, g.powerW]);
      if (points.length > POWER_HISTORY) points.shift();
      state.powerHistory.set(g.id, points);
    }
    scheduleRender(false);
  } finally {
    lightingLoading = false;
    if (lightingAgain) {
      lightingAgain = false;
      setTimeout(() => void loadLighting(), 500);
    }
  }
}
setInterval(() => {
  if (state.me && state.view === 'lighting') void loadLighting();
}, LIGHTING_POLL_MS);

/**
 * A loader that never runs twice at once, nor more often than every `minGapMs`; a call in
 * between runs it once more afterwards (many fill readings make one request).
 */
function coalesced(load, minGapMs) {
  let busy = false;
  let queued = false;
  let lastMs = 0;
  const run = async () => {
    if (busy || Date.now() - lastMs < minGapMs) {
      if (!queued) {
        queued = true;
        setTimeout(() => {
          queued = false;
          void run();
        }, minGapMs);
      }
      return;
    }
    busy = true;
    lastMs = Date.now();
    try {
      await load();
    } finally {
      busy = false;
    }
  };
  return run;
}

const loadSignals = coalesced(async () => {
  const [list, policies] = await Promise.all([
    api('GET', '/api/intersections', undefined, POLL),
    api('GET', '/api/policies', undefined, POLL),
  ]);
  if (!list.ok) return;
  state.signals = new Map(list.json.map((x) => [x.id, x]));
  state.staged = policies.ok ? (policies.json.staged ?? null) : null;
  scheduleRender(false);
}, 500);

const loadCollection = coalesced(async () => {
  const res = await api('GET', '/api/containers/collection', undefined, POLL);
  if (!res.ok) return;
  state.collection = res.json;
  scheduleRender(false);
}, 3000);

// The collection list follows the fill readings, which change slowly: refresh on a reading (at
// most every 3 s) and every 30 s while the view is open.
setInterval(() => {
  if (!state.me) return;
  if (state.view === 'containers') void loadCollection();
  if (state.view === 'intersections') void loadSignals();
}, 30_000);

function renderView() {
  const main = byId('view');
  main.replaceChildren();
  main.dataset.view = state.view;
  switch (state.view) {
    case 'overview':
      return renderOverview(main, state);
    case 'lighting':
      return renderLighting(main, state, actions);
    case 'intersections':
      return renderIntersections(main, state, actions);
    case 'containers':
      return renderContainers(main, state);
    case 'devices':
      return renderDevices(main, state);
    case 'policies':
      if (state.records?.view === 'policies') renderPolicies(main, state.records.data);
      return undefined;
    case 'audit':
      if (state.records?.view === 'audit')
        renderAudit(main, state.records.data, state.auditFilters, (filters) => {
          state.auditFilters = filters;
          void loadRecords();
        });
      return undefined;
    default:
      return undefined;
  }
}

// Updates arrive up to four times a second; draw at most once per frame. The records views are
// not redrawn by device updates: that would reset a filter form being typed in.
// Nor is any view redrawn while the user is in one of its fields (an override level being typed):
// the redraw waits until the field loses focus.
let frame = 0;
let deferred = false;
function editing() {
  const active = document.activeElement;
  return Boolean(active && byId('view').contains(active) && active.matches('input, select, textarea'));
}
byId('view').addEventListener('focusout', () => {
  if (!deferred) return;
  deferred = false;
  // After the focus has moved: a click on the form's own button must still land on it.
  setTimeout(() => scheduleRender(false), 0);
});
function scheduleRender(devicesChanged) {
  if (devicesChanged && (state.view === 'policies' || state.view === 'audit')) return;
  if (editing()) {
    deferred = true;
    return;
  }
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderView();
  });
}

async function loadRecords() {
  const view = state.view;
  if (view === 'policies') {
    const res = await api('GET', '/api/policies', undefined, POLL);
    if (res.ok && state.view === view) state.records = { view, data: res.json };
  } else if (view === 'audit') {
    const q = new URLSearchParams({ limit: '200' });
    for (const [k, v] of Object.entries(state.auditFilters)) if (v) q.set(k, v);
    const [rows, verdict] = await Promise.all([
      api('GET', `/api/audit?${q}`, undefined, POLL),
      api('GET', '/api/audit/verify', undefined, POLL),
    ]);
    if (rows.ok && verdict.ok && state.view === view)
      state.records = { view, data: { rows: rows.json, verdict: verdict.json } };
  }
  scheduleRender(false);
}

function route() {
  const wanted = location.hash.slice(1);
  state.view = VIEWS.includes(wanted) ? wanted : 'overview';
  state.records = null;
  noteActivity();
  renderHeader();
  renderView();
  if (state.view === 'policies' || state.view === 'audit') void loadRecords();
  if (state.view === 'lighting') void loadLighting();
  if (state.view === 'intersections') void loadSignals();
  if (state.view === 'containers') void loadCollection();
}
window.addEventListener('hashchange', route);

function applyLanguage() {
  translatePage();
  renderConn();
  renderHeader();
  renderStatus();
  renderView();
}

for (const b of document.querySelectorAll('.lang-switch'))
  b.addEventListener('click', () => {
    setLang(currentLang() === 'es' ? 'en' : 'es');
    applyLanguage();
  });

// ---- confirmation of a change to an intersection ----------------------------------------------
// Clear a latch, flash, restore: each needs the id typed again. The server checks it as well
// (`confirm` in the body), so this dialog is a help, not the guard.

const CHANGES = {
  clear: { path: 'clear-latch', done: (json) => json.cleared },
  flash: { path: 'flash', done: (json) => json.ok },
  restore: { path: 'restore', done: (json) => json.ok },
};

function confirm(kind, id) {
  const dialog = byId('confirm');
  byId('confirm-title').textContent = t(`${kind}.confirmTitle`, { id });
  byId('confirm-text').textContent = t(`${kind}.confirmText`, { id });
  byId('confirm-submit').textContent = t(`${kind}.confirm`);
  byId('confirm-error').textContent = '';
  const input = byId('confirm-input');
  input.value = '';
  dialog.dataset.intersection = id;
  dialog.dataset.kind = kind;
  dialog.showModal();
  input.focus();
}

byId('confirm-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const dialog = byId('confirm');
  const id = dialog.dataset.intersection;
  const kind = dialog.dataset.kind;
  const change = CHANGES[kind];
  const typed = byId('confirm-input').value.trim();
  if (typed !== id || !change) {
    byId('confirm-error').textContent = t('confirm.mismatch', { id });
    return;
  }
  const res = await api('POST', `/api/intersections/${encodeURIComponent(id)}/${change.path}`, {
    confirm: typed,
  });
  dialog.close();
  const done = res.ok && change.done(res.json);
  const text = res.ok
    ? done
      ? t(`${kind}.done`, { id })
      : t(`${kind}.refused`, { reason: refusal(res.json, '—') })
    : t('error', { message: res.json?.message ?? res.status });
  toast(text, done ? 'ok' : 'bad');
  if (state.view === 'intersections') void loadSignals();
});
byId('confirm-cancel').addEventListener('click', () => byId('confirm').close());

function toast(text, className) {
  const box = byId('toast');
  box.replaceChildren(el('p', className, text));
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 6000);
}

// ---- live updates ----------------------------------------------------------------------------

let source = null;
let retryMs = RETRY_MIN_MS;
let retryTimer = 0;
let lastMessageMs = Date.now();

function setConn(next) {
  state.conn = next;
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

function closeStream() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
}

async function reconnectLater() {
  closeStream();
  setConn('reconnecting');
  // The server ends the stream of a session that locked: ask before trying again.
  const res = await api('GET', '/api/session', undefined, POLL);
  if (res.status === 401) return;
  retryTimer = setTimeout(connect, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

/** A head whose intersection changed operation (plan, flash…): its mode and timing may differ too. */
function operationChanged(view) {
  if (view.kind !== 'signal-head') return false;
  const before = state.devices.get(view.id);
  const first = (v) => v?.reasonCode?.[0]?.code;
  return first(before) !== first(view);
}

function remember(views) {
  for (const view of views) {
    state.devices.set(view.id, view);
    if (view.kind === 'fill-sensor' && typeof view.state.fill === 'number') {
      const points = state.fillHistory.get(view.id) ?? [];
      if (points.length === 0 || points[points.length - 1][0] !== view.updatedMs)
        points.push([view.updatedMs, view.state.fill]);
      if (points.length > FILL_HISTORY) points.shift();
      state.fillHistory.set(view.id, points);
    }
  }
}

function connect() {
  source = new EventSource('/api/events');
  lastMessageMs = Date.now();
  source.onopen = () => {
    retryMs = RETRY_MIN_MS;
    setConn('live');
  };
  source.onerror = () => {
    // EventSource retries network errors by itself; after an HTTP error or a server that ended
    // the stream it may give up (CLOSED), so then we check the session and start again.
    if (source && source.readyState === EventSource.CLOSED) void reconnectLater();
    else setConn('reconnecting');
  };
  source.addEventListener('snapshot', (event) => {
    const views = parse(event);
    if (!Array.isArray(views)) return;
    state.devices.clear();
    remember(views);
    scheduleRender(true);
  });
  source.addEventListener('devices', (event) => {
    const views = parse(event);
    if (!Array.isArray(views)) return;
    // Compared with what is held before it is replaced.
    const signalsChanged = state.view === 'intersections' && views.some((v) => operationChanged(v));
    remember(views);
    if (state.view === 'lighting' && views.some((v) => v.kind === 'luminaire')) void loadLighting();
    if (state.view === 'containers' && views.some((v) => v.kind === 'fill-sensor')) void loadCollection();
    if (signalsChanged) void loadSignals();
    scheduleRender(true);
  });
  source.addEventListener('status', (event) => {
    const next = parse(event);
    if (!next) return;
    // A refresh or an expiry changes the policies view too, not only a new version.
    const policyChanged =
      state.status &&
      (state.status.policyVersion !== next.policyVersion ||
        state.status.policyExpiresMs !== next.policyExpiresMs ||
        state.status.policyStale !== next.policyStale);
    state.status = next;
    renderStatus();
    if (state.view === 'overview') scheduleRender(false);
    if (policyChanged && state.view === 'policies') void loadRecords();
  });
}

// A phone that changes network can leave a connection half-open for minutes without an error:
// status arrives every 2 s, so silence means the stream is dead.
setInterval(() => {
  if (state.me && state.conn === 'live' && Date.now() - lastMessageMs > SILENCE_MS) void reconnectLater();
}, 2000);

// ---- start -----------------------------------------------------------------------------------

function start(me) {
  state.me = me;
  lastActivityMs = Date.now();
  byId('login').hidden = true;
  byId('app').hidden = false;
  retryMs = RETRY_MIN_MS;
  setConn('connecting');
  closeStream();
  connect();
  route();
}

async function boot() {
  translatePage();
  renderHeader();
  renderConn();
  const res = await api('GET', '/api/session');
  if (res.ok) start(res.json);
  else
    showLogin(
      res.json?.code === 'CONSOLE_SESSION_LOCKED' ? t('login.idle') : '',
      Boolean(res.json?.setupPending),
    );
}

void boot();
