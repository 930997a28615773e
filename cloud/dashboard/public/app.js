// calle fleet dashboard: plain browser JavaScript modules, no framework and no build step, served by
// the coordinator under /dashboard/ (every asset bundled; the CSP is default-src 'self').
//
// Access, as on the node console: the session cookie is HttpOnly, so the page learns who it is
// from GET api/session, which also hands over the CSRF token sent back in x-csrf-token on every
// POST. Any 401 means the session locked or ended: the page drops what it shows and asks for a
// sign-in. Live refresh is a poll every POLL_MS marked with x-calle-poll, which the server does not
// count as activity, so an unattended open page still locks after 15 idle minutes.
import { byId, el, number } from './dom.js';
import { currentLang, setLang, t, translatePage } from './i18n.js';
import { renderAlarms, renderAudit, renderKpis, renderMap } from './views-fleet.js';
import { renderEnrolment } from './views-enrolment.js';
import { renderPolicy } from './views-policy.js';
import { renderRollouts } from './views-rollouts.js';

const API = '/dashboard/api';
const VIEWS = ['map', 'rollouts', 'alarms', 'kpis', 'policy', 'enrolment', 'audit'];
const POLL_MS = 2000;
/** User activity is reported at most this often; the server locks after 15 idle minutes. */
const ACTIVITY_EVERY_MS = 60_000;

const state = {
  me: null,
  view: 'map',
  conn: 'connecting',
  overview: null,
  kpis: null,
  audit: null,
  enrolments: null,
  policies: null,
  /** The editor's draft and last validation; kept across views and polls. */
  editor: { text: null, result: null, stages: '1,10%,100%', windowS: 60 },
};

// ---- API -------------------------------------------------------------------------------------

async function api(method, path, body, { poll = false } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && state.me) headers['x-csrf-token'] = state.me.csrf;
  if (poll) headers['x-calle-poll'] = '1';
  let res;
  try {
    res = await fetch(`${API}/${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    return { ok: false, status: 0, json: null };
  }
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && state.me && path !== 'login') lock('idle');
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
  state.me = null;
  state.overview = state.kpis = state.audit = state.policies = state.enrolments = null;
  showLogin(reason === 'idle' ? t('login.idle') : '', false);
}

function loginMessage(res) {
  if (res.status === 429) {
    const s = res.json?.retryAfterS ?? 60;
    return t(res.json?.code === 'DASHBOARD_LOCKED_OUT' ? 'login.locked' : 'login.rate', { s });
  }
  if (res.status === 401) return t('login.failed');
  return t('error', { message: res.json?.message ?? res.status });
}

byId('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const res = await api('POST', 'login', {
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
  const res = await api('POST', 'setup', {
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
  await api('POST', 'logout');
  lock('logout');
});

// Clicks and keys are the user's activity (CR 2.5): an open page alone does not keep a session.
let lastActivityMs = Date.now();
for (const type of ['pointerdown', 'keydown']) {
  document.addEventListener(type, () => {
    if (!state.me || Date.now() - lastActivityMs < ACTIVITY_EVERY_MS) return;
    lastActivityMs = Date.now();
    void api('GET', 'session');
  });
}

// ---- confirmation and toasts ---------------------------------------------------------------------

let confirmResolve = null;
/** Asks before a change to the fleet; resolves true on OK. */
function confirmAction(title, text, okLabel) {
  const dialog = byId('confirm');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = okLabel;
  dialog.showModal();
  return new Promise((resolve) => {
    confirmResolve = resolve;
  });
}
function settleConfirm(answer) {
  const resolve = confirmResolve;
  confirmResolve = null;
  if (byId('confirm').open) byId('confirm').close();
  if (resolve) resolve(answer);
}
byId('confirm-form').addEventListener('submit', (event) => {
  event.preventDefault();
  settleConfirm(true);
});
byId('confirm-cancel').addEventListener('click', () => settleConfirm(false));
byId('confirm').addEventListener('cancel', () => settleConfirm(false));

function toast(text, className) {
  const box = byId('toast');
  box.replaceChildren(el('p', className, text));
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 6000);
}

// ---- actions the views may take ----------------------------------------------------------------

const actions = {
  can: (permission) => Boolean(state.me?.permissions.includes(permission)),
  async rollout(id, action) {
    const ok = await confirmAction(
      t(`rollout.${action}.title`, { id }),
      t(`rollout.${action}.text`, { id }),
      t(`rollout.${action}`),
    );
    if (!ok) return;
    const res = await api('POST', `rollouts/${encodeURIComponent(id)}/${action}`);
    toast(
      res.ok ? t(`rollout.${action}.done`, { id }) : t('error', { message: res.json?.message ?? res.status }),
      res.ok ? 'ok' : 'bad',
    );
    await refresh();
  },
  /** Approves or revokes `edge` (a row of GET enrolments) with the key id the dialog showed. */
  async enrolment(edge, action) {
    const values = { edge: edge.edgeId, district: edge.district, keyId: edge.keyId ?? t('enrol.noKey') };
    const ok = await confirmAction(
      t(`enrol.${action}.title`, values),
      t(`enrol.${action}.text`, values),
      t(`enrol.${action}`),
    );
    if (!ok) return;
    const res = await api('POST', `enrolments/${encodeURIComponent(edge.edgeId)}/${action}`, {
      confirm: edge.edgeId,
      keyId: edge.keyId ?? '',
    });
    toast(
      res.ok ? t(`enrol.${action}.done`, values) : t('error', { message: res.json?.message ?? res.status }),
      res.ok ? 'ok' : 'bad',
    );
    await refresh();
  },
  async validate(text) {
    state.editor.text = text;
    const res = await api('POST', 'policies/validate', { text });
    state.editor.result = res.ok
      ? res.json
      : { ok: false, problems: [{ field: '', reason: res.json?.message ?? String(res.status) }] };
    render();
  },
  async publish(text) {
    if (!(await confirmAction(t('publish.title'), t('publish.text'), t('publish')))) return;
    const res = await api('POST', 'policies', { text });
    if (res.ok) {
      toast(t('publish.done', { version: res.json.version }), 'ok');
      state.editor.result = null;
    } else toast(t('error', { message: res.json?.message ?? res.status }), 'bad');
    await loadPolicies();
  },
  async startRollout(text, stages, windowS) {
    state.editor.stages = stages;
    state.editor.windowS = windowS;
    if (
      !(await confirmAction(t('rolloutStart.title'), t('rolloutStart.text', { stages }), t('rolloutStart')))
    )
      return;
    const res = await api('POST', 'rollouts', { text, stages, windowMs: Math.round(windowS * 1000) });
    if (!res.ok) {
      toast(t('error', { message: res.json?.message ?? res.status }), 'bad');
      if (res.json?.problems) {
        state.editor.result = { ok: false, problems: res.json.problems };
        render();
      }
      return;
    }
    toast(t('rolloutStart.done', { id: res.json.id, version: res.json.version }), 'ok');
    state.editor.result = null;
    location.hash = '#rollouts';
    await refresh();
  },
};

// ---- rendering -------------------------------------------------------------------------------

function renderConn() {
  const pill = byId('conn');
  pill.textContent = t(state.conn);
  pill.className = `conn conn-${state.conn === 'live' ? 'live' : 'reconnecting'}`;
  document.body.classList.toggle('stale', state.conn !== 'live');
}

function renderSummary() {
  const o = state.overview;
  const items = [];
  const item = (label, value, className, id) => items.push({ label, value, className, id });
  if (o) {
    const online = o.edges.filter((e) => e.status === 'online').length;
    item(
      t('sum.edges'),
      `${number(online)} / ${number(o.edges.length)} ${t('sum.online')}`,
      online === o.edges.length ? 'ok' : 'warn',
      'sum-edges',
    );
    const critical = o.alarms.filter((a) => a.severity >= 3).length;
    item(
      t('sum.alarms'),
      `${number(o.alarms.length)}${critical ? ` (${number(critical)} ${t('critical')})` : ''}`,
      o.alarms.length ? 'bad' : 'ok',
      'sum-alarms',
    );
    const running = o.rollouts.filter((r) => r.state === 'running' || r.state === 'halted').length;
    item(t('sum.rollouts'), number(running), running ? 'warn' : 'ok', 'sum-rollouts');
    item(t('sum.version'), o.latestVersion ? `v${o.latestVersion}` : '—', undefined, 'sum-version');
  }
  // Redrawn only when it changed: the header is sticky, and churn there moves the page under a
  // pointer that is about to click.
  const dl = byId('summary');
  const key = JSON.stringify(items);
  if (dl.dataset.key === key) return;
  dl.dataset.key = key;
  dl.replaceChildren(
    ...items.map(({ label, value, className, id }) => {
      const div = el('div');
      const dd = el('dd', className, value);
      if (id) dd.id = id;
      div.append(el('dt', undefined, label), dd);
      return div;
    }),
  );
}

function renderHeader() {
  byId('who').textContent = state.me ? `${state.me.user} · ${t(`role.${state.me.role}`)}` : '';
  for (const a of byId('nav').querySelectorAll('a')) {
    a.textContent = t(`nav.${a.dataset.view}`);
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const b of document.querySelectorAll('.lang-switch')) {
    b.textContent = t('switchTo');
    b.lang = currentLang() === 'es' ? 'en' : 'es';
  }
}

// What a view shows, to skip a redraw when a poll brought nothing new: a redraw replaces the
// buttons, and a click whose press and release straddle it is lost. The map is always redrawn
// (its "seen … ago" moves on); the editor never by a poll (policy is refreshed on demand only).
function viewKey() {
  const o = state.overview;
  const data = {
    rollouts: () => [o?.rollouts, state.me?.permissions],
    alarms: () => o?.alarms,
    kpis: () => state.kpis,
    audit: () => state.audit,
    enrolment: () => [state.enrolments?.edges, state.me?.permissions],
  }[state.view];
  return data ? JSON.stringify([state.view, currentLang(), data()]) : null;
}
let lastKey = null;

function render() {
  const main = byId('view');
  // The editor is not redrawn while the user is typing in it.
  if (
    state.view === 'policy' &&
    main.dataset.view === 'policy' &&
    main.contains(document.activeElement) &&
    document.activeElement.matches('textarea, input')
  )
    return;
  const key = viewKey();
  if (key !== null && key === lastKey && main.dataset.view === state.view) return;
  lastKey = key;
  main.replaceChildren();
  main.dataset.view = state.view;
  switch (state.view) {
    case 'map':
      return renderMap(main, state);
    case 'rollouts':
      return renderRollouts(main, state, actions);
    case 'alarms':
      return renderAlarms(main, state);
    case 'kpis':
      return renderKpis(main, state);
    case 'policy':
      return renderPolicy(main, state, actions);
    case 'enrolment':
      return renderEnrolment(main, state, actions);
    case 'audit':
      return renderAudit(main, state);
    default:
      return undefined;
  }
}

// ---- data --------------------------------------------------------------------------------------

async function loadPolicies() {
  const res = await api('GET', 'policies', undefined, { poll: true });
  if (res.ok) state.policies = res.json;
  render();
}

let refreshing = false;
async function refresh() {
  if (!state.me || refreshing) return;
  refreshing = true;
  try {
    // The current view's own data besides the overview, and where it goes in `state`.
    const own = {
      kpis: ['kpis', 'kpis'],
      audit: ['audit?limit=200', 'audit'],
      enrolment: ['enrolments', 'enrolments'],
    }[state.view];
    const [overview, extra] = await Promise.all([
      api('GET', 'overview', undefined, { poll: true }),
      own ? api('GET', own[0], undefined, { poll: true }) : Promise.resolve(null),
    ]);
    if (!state.me) return;
    state.conn = overview.ok ? 'live' : 'reconnecting';
    if (overview.ok) state.overview = overview.json;
    if (extra?.ok) state[own[1]] = extra.json;
    renderConn();
    renderSummary();
    if (state.view !== 'policy') render();
  } finally {
    refreshing = false;
  }
}
setInterval(() => void refresh(), POLL_MS);

function route() {
  const wanted = location.hash.slice(1);
  state.view = VIEWS.includes(wanted) ? wanted : 'map';
  renderHeader();
  render();
  if (state.view === 'policy') void loadPolicies();
  void refresh();
}
window.addEventListener('hashchange', route);

function applyLanguage() {
  translatePage();
  renderConn();
  renderHeader();
  renderSummary();
  byId('view').dataset.view = '';
  render();
}

for (const b of document.querySelectorAll('.lang-switch'))
  b.addEventListener('click', () => {
    setLang(currentLang() === 'es' ? 'en' : 'es');
    applyLanguage();
  });

// ---- start -----------------------------------------------------------------------------------

function start(me) {
  state.me = me;
  lastActivityMs = Date.now();
  byId('login').hidden = true;
  byId('app').hidden = false;
  state.conn = 'connecting';
  renderConn();
  route();
}

async function boot() {
  translatePage();
  renderHeader();
  renderConn();
  const res = await api('GET', 'session');
  if (res.ok) start(res.json);
  else
    showLogin(
      res.json?.code === 'DASHBOARD_SESSION_LOCKED' ? t('login.idle') : '',
      Boolean(res.json?.setupPending),
    );
}

void boot();
