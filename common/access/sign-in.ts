// One sign-in, the same for the node's console and the coordinator's dashboard: the rate limit
// and lockout (login-guard.ts), the password check, a new session, and an audit row for every
// outcome. The web layers only turn the result into HTTP (status, cookie, body); keeping the
// decision here means a fix to the sign-in rules reaches both places at once.
import type { AuditLog } from '../audit/audit-log.js';
import type { LoginGuard } from './login-guard.js';
import type { SessionStore } from './session-store.js';
import type { UserStore, UserSummary } from './user-store.js';

export interface SignInDeps {
  readonly users: UserStore;
  readonly guard: LoginGuard;
  readonly sessions: SessionStore;
  readonly audit: AuditLog;
  /** What the audit rows name as signed into: "console", "dashboard". */
  readonly target: string;
}

export type SignInResult =
  | { readonly ok: true; readonly user: UserSummary; readonly token: string; readonly csrf: string }
  /** Too many attempts: for this user (locked) or from this address (rate-limited). */
  | { readonly ok: false; readonly refused: 'locked' | 'rate'; readonly retryAfterS: number }
  /** Unknown name or wrong password: the caller must not tell the two apart. */
  | { readonly ok: false; readonly refused: 'credentials' };

export const LOCKED_MESSAGE = 'too many failed sign-ins for this user: locked for 15 minutes';
export const RATE_MESSAGE = 'too many sign-ins from this address: wait a minute';
export const CREDENTIALS_MESSAGE = 'wrong user name or password';

export async function signIn(
  d: SignInDeps,
  name: string,
  password: string,
  ip: string,
): Promise<SignInResult> {
  const gate = d.guard.admit(name, ip);
  if (!gate.allowed) {
    d.audit.append({
      actor: name,
      action: 'login.refused',
      target: d.target,
      after: { reason: gate.reason, ip },
    });
    return {
      ok: false,
      refused: gate.reason === 'locked' ? 'locked' : 'rate',
      retryAfterS: gate.retryAfterS,
    };
  }
  const user = await d.users.authenticate(name, password);
  if (!user) {
    const locked = d.guard.failed(name);
    d.audit.append({
      actor: name,
      action: locked ? 'login.locked' : 'login.failed',
      target: d.target,
      after: { ip },
    });
    return { ok: false, refused: 'credentials' };
  }
  d.guard.succeeded(name);
  const { token, csrf } = d.sessions.create(user.name);
  d.audit.append({ actor: user.name, action: 'login.ok', target: d.target, after: { role: user.role, ip } });
  return { ok: true, user, token, csrf };
}
