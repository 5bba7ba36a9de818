import { el, storeSession } from './api.js';

/** Only paths of this site are followed after sign-in. */
function nextPath() {
  const next = new URLSearchParams(location.search).get('next') ?? '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/modeler';
}

const form = document.getElementById('login-form');
const message = document.getElementById('login-message');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  message.textContent = '';
  const data = new FormData(form);
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: data.get('username'), password: data.get('password') }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      message.append(el('span', {}, body.message || `sign-in failed (${response.status})`));
      return;
    }
    storeSession(body.accessToken, body.user);
    location.assign(nextPath());
  } catch (err) {
    message.textContent = `sign-in failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    button.disabled = false;
  }
});
