// Staged rollouts: each with its stages (edges, applied, refused, pending), the health gate's phase
// and the operator's actions. Buttons show for everyone and are disabled without the permission or
// in a state that does not allow them; the server decides either way.
import { el, empty, number, time } from './dom.js';
import { t } from './i18n.js';

const ALLOWED = {
  halt: ['running'],
  resume: ['halted'],
  rollback: ['running', 'halted', 'completed'],
};

function targetText(target) {
  if (!target) return '—';
  if (target.allEdges) return t('target.all');
  const parts = [];
  if (target.districts?.length) parts.push(`${t('target.districts')}: ${target.districts.join(', ')}`);
  if (target.tags?.length) parts.push(`${t('target.tags')}: ${target.tags.join(', ')}`);
  if (target.edgeIds?.length) parts.push(`${t('target.edges')}: ${target.edgeIds.join(', ')}`);
  return parts.join(' · ') || '—';
}

function gateText(r) {
  const g = r.gate;
  if (g.phase === 'acks') return t('gate.acks', { stage: r.stage, until: time(g.untilMs) });
  if (g.phase === 'window') return t('gate.window', { stage: r.stage, until: time(g.untilMs) });
  return t(`state.${g.phase}`);
}

export function renderRollouts(main, state, actions) {
  const o = state.overview;
  if (!o) return main.append(empty(t('loading')));
  if (o.rollouts.length === 0) return main.append(empty(t('rollouts.none')));
  const canControl = actions.can('rollout.control');
  for (const r of o.rollouts) {
    const card = el('article', 'rollout card');
    card.dataset.rollout = String(r.id);
    card.dataset.state = r.state;
    const head = el('header', 'rollout-head');
    head.append(
      el('h2', undefined, t('rollout.title', { id: r.id, version: r.version })),
      el('span', `badge state-${r.state}`, t(`state.${r.state}`)),
    );
    card.append(head);
    card.append(
      el(
        'p',
        'muted',
        `${targetText(r.target)} · ${t('rollout.started', { time: time(Date.parse(r.createdAt)) })}`,
      ),
    );
    const gate = el('p', 'gate', gateText(r));
    gate.dataset.phase = r.gate.phase;
    card.append(gate);
    if (r.reason) card.append(el('p', r.state === 'rolled_back' ? 'reason bad' : 'reason', r.reason));
    if (r.rollbackVersion)
      card.append(
        el('p', 'reason', t('rollout.rollbackVersion', { version: r.rollbackVersion, to: r.rollbackTo })),
      );

    const stages = el('ol', 'stages');
    for (const s of r.stages) {
      const li = el('li', `stage ${s.released ? 'released' : 'held'}`);
      li.dataset.stage = String(s.stage);
      li.dataset.released = String(s.released);
      li.append(el('strong', undefined, t('stage.title', { n: s.stage, edges: s.edges })));
      const bar = el('progress');
      bar.max = s.edges;
      bar.value = s.applied;
      bar.setAttribute('aria-label', t('stage.applied', { n: s.applied }));
      li.append(bar);
      li.append(
        el(
          'span',
          'stage-counts',
          s.released
            ? t('stage.counts', {
                applied: number(s.applied),
                refused: number(s.refused),
                pending: number(s.pending.length),
              })
            : t('stage.held'),
        ),
      );
      if (s.pending.length && s.pending.length <= 8) li.append(el('small', 'mono', s.pending.join(', ')));
      stages.append(li);
    }
    card.append(stages);

    const buttons = el('div', 'actions');
    for (const action of ['halt', 'resume', 'rollback']) {
      const b = el('button', action === 'rollback' ? 'danger' : undefined, t(`rollout.${action}`));
      b.type = 'button';
      b.dataset.action = action;
      b.disabled = !canControl || !ALLOWED[action].includes(r.state);
      b.addEventListener('click', () => void actions.rollout(r.id, action));
      buttons.append(b);
    }
    if (!canControl) buttons.append(el('small', undefined, t('rollout.needsOperator')));
    card.append(buttons);
    main.append(card);
  }
}
