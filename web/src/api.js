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
  if (options.body instanceof FormData) {
    // A multipart upload: the browser writes the content type with its boundary.
    body = options.body;
  } else if (typeof options.body === 'string') {
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

const LANG_KEY = 'release-flow.lang';
const LANGS = ['both', 'zh', 'en'];

/** The label language: both (Chinese with English beside, the default), Chinese only or English only. */
export function language() {
  const stored = localStorage.getItem(LANG_KEY);
  return LANGS.includes(stored) ? stored : 'both';
}

function applyLanguage() {
  document.documentElement.dataset.lang = language();
  document.documentElement.lang = language() === 'en' ? 'en' : 'zh-CN';
}
applyLanguage();

/** A label in both languages; the language switch shows one or both. */
export function bi(zh, en) {
  return el('span', { class: 'bi' }, el('span', { class: 'zh' }, zh), el('span', { class: 'en' }, en));
}

/** Where a user starts after signing in: the team its tasks, designers the modeler, operators the incidents. */
export function landingPath(user = currentUser()) {
  const roles = user?.roles ?? [];
  if (roles.includes('admin')) return '/incidents';
  const team = roles.filter((role) => role !== 'process-designer');
  if (roles.includes('process-designer') && team.length === 0) return '/modeler';
  return '/tasks';
}

/** The pages of the header, and who sees each link (the API decides what they may do there). */
const NAV = [
  { key: 'tasks', href: '/tasks', zh: '任务', en: 'Tasks' },
  { key: 'releases', href: '/releases', zh: '发布记录', en: 'Releases' },
  {
    key: 'statistics',
    href: '/statistics',
    zh: '统计',
    en: 'Statistics',
    roles: ['project-manager', 'admin'],
  },
  { key: 'modeler', href: '/modeler', zh: '流程设计', en: 'Modeler', roles: ['process-designer', 'admin'] },
  { key: 'incidents', href: '/incidents', zh: '故障', en: 'Incidents', roles: ['admin', 'project-manager'] },
  { key: 'queues', href: '/admin/queues', zh: '队列', en: 'Queues', roles: ['admin'] },
];

/** The header every page shares: the pages, a release lookup, the language switch, who you are, sign out. */
export function renderHeader(active) {
  const header = document.getElementById('app-header');
  if (!header) return;
  const user = currentUser();
  const releaseInput = el('input', {
    id: 'release-lookup',
    placeholder: 'REL-2026-0001',
    'aria-label': '发布编号 release number or id',
  });
  const openRelease = (event) => {
    event.preventDefault();
    const value = releaseInput.value.trim();
    if (value) location.assign(`/releases/${encodeURIComponent(value)}`);
  };
  const languageSwitch = el(
    'select',
    {
      id: 'language',
      'aria-label': '语言 Language',
      onchange: (event) => {
        localStorage.setItem(LANG_KEY, event.target.value);
        applyLanguage();
      },
    },
    el('option', { value: 'both' }, '中文 + English'),
    el('option', { value: 'zh' }, '中文'),
    el('option', { value: 'en' }, 'English'),
  );
  languageSwitch.value = language();
  const links = NAV.filter((item) => !item.roles || hasRole(...item.roles)).map((item) =>
    el(
      'a',
      {
        href: item.href,
        class: active === item.key ? 'active' : null,
        'aria-current': active === item.key ? 'page' : null,
      },
      bi(item.zh, item.en),
    ),
  );
  clear(header).append(
    el('a', { class: 'brand', href: landingPath(user) }, '发布管理 Release flow'),
    el('nav', { 'aria-label': '页面 Pages' }, ...links),
    el(
      'form',
      { class: 'lookup', onsubmit: openRelease },
      el('label', { for: 'release-lookup' }, bi('发布', 'Release')),
      releaseInput,
      el('button', { type: 'submit' }, bi('打开', 'Open')),
    ),
    languageSwitch,
    el(
      'span',
      { class: 'user', title: user ? user.roles.join(', ') : null },
      user ? user.displayName || user.username : '',
      ' ',
      el('button', { type: 'button', id: 'sign-out', onclick: signOut }, bi('退出', 'Sign out')),
    ),
  );
}
