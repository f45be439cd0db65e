import { sessionLifetime, type SessionInfo } from './session.js';

export interface SessionDiagnosis {
  /** What the session is, for a person: type, user, lifetime, privileges. */
  facts: string[];
  /** Set-ups that work but read less than everything, or grant more than reading. */
  warnings: string[];
}

/** Privileges as Kaltura writes them: `name:value` pairs joined by commas. */
export function parsePrivileges(privileges: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of privileges.split(',')) {
    const [name, ...value] = part.trim().split(':');
    if (name) out.set(name, value.join(':'));
  }
  return out;
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
  const warnings: string[] = [];
  if (!admin && privileges.get('list') !== '*') {
    warnings.push(`this is a USER session without list:*, so Kaltura shows it only the entries of user "${info.userId || '(none)'}" and gives no error about the rest. Create the token with sessionType ADMIN (2), or add list:* to its sessionPrivileges.`);
  }
  if (!privileges.has('disableentitlement')) {
    warnings.push('the token has no disableentitlement privilege: if entitlements are enabled on this account, entries and categories outside the session\'s entitlement are silently hidden. Add disableentitlement to the token\'s sessionPrivileges.');
  }
  if (admin && !privileges.has('setrole')) {
    warnings.push('the token grants a full ADMIN session, which can change and delete content. For least privilege, add setrole:<id of a role with only list permissions> to its sessionPrivileges.');
  }
  return { facts, warnings };
}
