// Enrolment ("Alta de nodos"): edges waiting for approval with the key id each enrolled, and the
// approved, revoked and invited ones. Approving asks first, showing the key id the operator must
// have checked at the cabinet; the request carries it back so the server approves that key only.
// Buttons show for everyone and are disabled without the permission; the server decides either way.
import { el, empty, table, time } from './dom.js';
import { t } from './i18n.js';

const GROUPS = [
  ['pending', (e) => e.enrolledMs],
  ['approved', (e) => e.approvedMs],
  ['revoked', (e) => e.revokedMs],
  ['invited', (e) => e.createdMs],
];
/** What each group offers: a pending edge is approved or turned away; an approved one revoked. */
const ACTIONS = { pending: ['approve', 'revoke'], approved: ['revoke'], revoked: [], invited: [] };

function keyCell(e) {
  return e.keyId ? el('code', 'key-id', e.keyId) : el('span', 'muted', t('enrol.noKey'));
}

export function renderEnrolment(main, state, actions) {
  const list = state.enrolments;
  if (!list) return main.append(empty(t('loading')));
  const canDecide = actions.can('enrolment.decide');
  main.append(el('p', 'muted intro', t('enrol.intro')));
  if (!canDecide) main.append(el('p', 'muted', t('enrol.readOnly')));
  for (const [group, since] of GROUPS) {
    const edges = list.edges.filter((e) => e.state === group);
    // Invited edges are listed only when there are some: the CLI issues tokens, not this page.
    if (group === 'invited' && edges.length === 0) continue;
    const section = el('section', 'enrolment card');
    section.dataset.group = group;
    section.append(el('h2', undefined, `${t(`enrol.${group}`)} (${edges.length})`));
    if (edges.length === 0) {
      section.append(empty(t('enrol.none')));
      main.append(section);
      continue;
    }
    const headers = [t('col.edge'), t('col.district'), t('col.keyId'), t('col.since')];
    if (ACTIONS[group].length) headers.push(t('col.actions'));
    section.append(
      table(
        'records enrolments',
        headers,
        edges.map((e) => {
          const cells = [el('span', 'mono', e.edgeId), e.district, keyCell(e), time(since(e) ?? e.createdMs)];
          if (ACTIONS[group].length) {
            const buttons = el('div', 'row-actions');
            for (const action of ACTIONS[group]) {
              const b = el('button', action === 'approve' ? 'primary' : 'danger', t(`enrol.${action}`));
              b.type = 'button';
              b.dataset.action = action;
              b.disabled = !canDecide;
              b.addEventListener('click', () => void actions.enrolment(e, action));
              buttons.append(b);
            }
            cells.push(buttons);
          }
          return { attrs: { 'data-enrolment': e.edgeId, 'data-state': e.state }, cells };
        }),
      ),
    );
    main.append(section);
  }
}
