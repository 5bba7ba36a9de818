import { currentUser, el, landingPath, storeSession, token } from './api.js';

/** Only paths of this site are followed after sign-in; without one, the user's landing page by role. */
function nextPath(user) {
  const next = new URLSearchParams(location.search).get('next') ?? '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : landingPath(user);
}

// Already signed in and not sent here by a page: straight on to where this user starts.
if (token() && currentUser() && !new URLSearchParams(location.search).has('next')) {
  location.replace(landingPath());
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
    location.assign(nextPath(body.user));
  } catch (err) {
    message.textContent = `sign-in failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    button.disabled = false;
  }
});
