import { parsePrivileges, sessionLifetime, type SessionInfo } from './session.js';

export { parsePrivileges };

export interface SessionDiagnosis {
  /** What the session is, for a person: type, user, lifetime, privileges. */
  facts: string[];
  /** Set-ups that may read less than everything (entitlements), or grant more than reading. */
  warnings: string[];
}

export function diagnoseSession(info: SessionInfo, now = Date.now() / 1000): SessionDiagnosis {
  const privileges = parsePrivileges(info.privileges ?? '');
  const admin = info.sessionType === 2;
  const shown = [...privileges.entries()].filter(([name]) => name !== 'sessionid' && name !== 'apptoken').map(([n, v]) => (v ? `${n}:${v}` : n));
  const facts = [
    `session type ${admin ? 'ADMIN (2)' : 'USER (0)'}`,
    `user ${info.userId ? `"${info.userId}"` : '(none)'}`,
    `lifetime ${Math.round(sessionLifetime(info, now))} s`,
    `privileges ${shown.length ? shown.join(',') : '(none beyond the app token)'}`,
  ];
  // A USER session without list:* never gets here: the login refuses it (session.ts, narrowSessionReason).
  const warnings: string[] = [];
  if (!privileges.has('disableentitlement')) {
    warnings.push('the token has no disableentitlement privilege: if entitlements are enabled on this account, entries and categories outside the session\'s entitlement are silently hidden. Add disableentitlement to the token\'s sessionPrivileges.');
  }
  if (admin && !privileges.has('setrole')) {
    warnings.push('the token grants a full ADMIN session, which can change and delete content. For least privilege, add setrole:<id of a role with only list permissions> to its sessionPrivileges.');
  }
  return { facts, warnings };
}
