// Shared by the pages: the signed-in user's token (sessionStorage), API calls with it, and DOM helpers that
// never parse HTML (everything shown comes from the API and is set as text).

const TOKEN_KEY = 'release-flow.token';
const USER_KEY = 'release-flow.user';

/** @returns {string | null} */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** @returns {{ username: string, displayName: string, roles: string[] } | null} */
export function currentUser() {
  try {
    return JSON.parse(sessionStorage.getItem(USER_KEY) ?? 'null');
  } catch {
    return null;
  }
}

export function storeSession(accessToken, user) {
  sessionStorage.setItem(TOKEN_KEY, accessToken);
  sessionStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  goToSignIn();
}

export function goToSignIn() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/** Send the user to sign in when there is no token; true when there is one. */
export function requireSignIn() {
  if (token()) return true;
  goToSignIn();
  return false;
}

export function hasRole(...roles) {
  const user = currentUser();
  return !!user && roles.some((role) => user.roles.includes(role));
}

/**
 * Call the API with the bearer token. Resolves to `{ status, ok, body }` (body parsed when JSON, else text);
 * a 401 sends the user to sign in.
 * @param {string} path
 * @param {{ method?: string, body?: string | object, contentType?: string }} [options]
 */
export async function api(path, options = {}) {
  const headers = { authorization: `Bearer ${token() ?? ''}` };
  let body;
  if (typeof options.body === 'string') {
    body = options.body;
    headers['content-type'] = options.contentType ?? 'text/plain';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(path, { method: options.method ?? 'GET', headers, body });
  if (response.status === 401 && !path.startsWith('/api/auth/')) {
    sessionStorage.removeItem(TOKEN_KEY);
    goToSignIn();
  }
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  let parsed = text;
  if (isJson && text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: response.status, ok: response.ok, body: parsed };
}

/** An API error's message, for people. */
export function describeError(response) {
  const body = response.body;
  if (body && typeof body === 'object' && body.message) return `${response.status}: ${body.message}`;
  return `${response.status}: ${String(body || 'request failed')}`;
}

/**
 * Create an element: `el('td', { class: 'x', title: 't' }, 'text', child)`. Strings become text nodes.
 * @param {string} tag
 * @param {Record<string, unknown>} [attributes]
 * @param {...(Node | string | number | null | undefined | false)} children
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function formatTime(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** The header every page shares: where you are, who you are, sign out. */
export function renderHeader(active) {
  const header = document.getElementById('app-header');
  if (!header) return;
  const user = currentUser();
  const releaseInput = el('input', {
    id: 'release-lookup',
    placeholder: 'REL-2026-0001',
    'aria-label': 'release number or id',
  });
  const openRelease = (event) => {
    event.preventDefault();
    const value = releaseInput.value.trim();
    if (value) location.assign(`/releases/${encodeURIComponent(value)}`);
  };
  clear(header).append(
    el('span', { class: 'brand' }, '发布管理 Release flow'),
    el(
      'nav',
      {},
      el('a', { href: '/modeler', class: active === 'modeler' ? 'active' : null }, '流程设计 Modeler'),
    ),
    el(
      'form',
      { class: 'lookup', onsubmit: openRelease },
      el('label', { for: 'release-lookup' }, '发布 Release'),
      releaseInput,
      el('button', { type: 'submit' }, 'Open'),
    ),
    el(
      'span',
      { class: 'user' },
      user ? `${user.displayName || user.username} (${user.roles.join(', ')})` : '',
      ' ',
      el('button', { type: 'button', id: 'sign-out', onclick: signOut }, 'Sign out'),
    ),
  );
}
