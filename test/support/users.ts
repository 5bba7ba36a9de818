import { randomBytes } from 'node:crypto';
import type { TokenService } from '../../src/identity/token.service';
import type { Role } from '../../src/identity/user.entity';
import type { UserService } from '../../src/identity/user.service';

/** One user per role, named after it (the role "project-manager" is user "project-manager"). */
export const TEST_ROLES: readonly Role[] = [
  'applicant',
  'project-manager',
  'network-engineer',
  'project-team',
  'test-team',
  'user-representative',
  'process-designer',
  'admin',
];

export const TEST_ADMIN_PASSWORD = 'admin-password-for-tests';
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';
export const TEST_USER_PASSWORD = 'password-for-tests';

export type Tokens = Record<string, string>;

/** Create users in-process and sign their tokens (no HTTP round trips). */
export async function seedUsers(
  users: UserService,
  tokens: TokenService,
  extra: Array<{ username: string; roles: Role[] }> = [],
) {
  const result: Tokens = {};
  const all = [
    ...TEST_ROLES.filter((r) => r !== 'admin').map((role) => ({ username: role, roles: [role] })),
    ...extra,
  ];
  for (const spec of all) {
    const existing = await users.findByUsername(spec.username);
    const user =
      existing ??
      (await users.create({
        username: spec.username,
        displayName: spec.username,
        email: `${spec.username}@example.test`,
        password: TEST_USER_PASSWORD,
        roles: spec.roles,
      }));
    result[spec.username] = tokens.sign(user).accessToken;
  }
  const admin = await users.findByUsername('admin');
  if (admin) result.admin = tokens.sign(admin).accessToken;
  return result;
}

/** Over HTTP: sign in as admin, create the role users, sign each in (for child-process services). */
export async function seedUsersOverHttp(
  baseUrl: string,
  adminPassword = TEST_ADMIN_PASSWORD,
): Promise<Tokens> {
  const post = async (path: string, body: unknown, token?: string) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const admin = await post('/api/auth/login', { username: 'admin', password: adminPassword });
  if (admin.status !== 200) throw new Error(`admin sign-in failed: ${JSON.stringify(admin.body)}`);
  const result: Tokens = { admin: admin.body.accessToken };
  for (const role of TEST_ROLES.filter((r) => r !== 'admin')) {
    await post(
      '/api/users',
      { username: role, displayName: role, password: TEST_USER_PASSWORD, roles: [role] },
      result.admin,
    );
    const login = await post('/api/auth/login', { username: role, password: TEST_USER_PASSWORD });
    result[role] = login.body.accessToken;
  }
  return result;
}

export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}
