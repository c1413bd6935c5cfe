// Sign-in: the demo's user picker, or OIDC authorization code with PKCE against the configured issuer.
// The access token lives in sessionStorage: it goes with the tab, and the offline outbox never holds it.
const TOKEN = 'tsunagu.token';
const PKCE = 'tsunagu.pkce';

export function token() {
  return sessionStorage.getItem(TOKEN);
}

/** The signed-in user's id and claims, read from the token (the server checks it; this is for display). */
export function me() {
  const t = token();
  if (!t) return null;
  try {
    const payload = JSON.parse(new TextDecoder().decode(b64urlDecode(t.split('.')[1])));
    return { id: payload.sub, name: payload.name, profession: payload.profession, exp: payload.exp };
  } catch {
    return null;
  }
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
}

export async function demoSignIn(userId) {
  const r = await fetch('/demo/token', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: userId }) });
  if (!r.ok) throw new Error('demo sign-in failed: ' + r.status);
  sessionStorage.setItem(TOKEN, (await r.json()).access_token);
}

async function discovery(issuer) {
  const r = await fetch(issuer.replace(/\/$/, '') + '/.well-known/openid-configuration');
  if (!r.ok) throw new Error('OIDC discovery failed: ' + r.status);
  return r.json();
}

function redirectUri() {
  return location.origin + '/app/';
}

/** Leaves for the issuer's sign-in page; {@link oidcFinish} completes on the way back. */
export async function oidcStart(cfg) {
  const meta = await discovery(cfg.issuer);
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({ response_type: 'code', client_id: cfg.clientId, redirect_uri: redirectUri(),
    scope: cfg.scopes, state, code_challenge: challenge, code_challenge_method: 'S256' });
  location.assign(meta.authorization_endpoint + '?' + q);
}

/** True when this page load is the issuer's redirect back and the code was exchanged for a token. */
export async function oidcFinish(cfg) {
  const params = new URLSearchParams(location.search);
  if (!cfg.issuer || !params.has('code')) return false;
  const saved = JSON.parse(sessionStorage.getItem(PKCE) || 'null');
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, '', '/app/');
  if (!saved || saved.state !== params.get('state')) throw new Error('sign-in state does not match; try again');
  const meta = await discovery(cfg.issuer);
  const r = await fetch(meta.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
      client_id: cfg.clientId, code_verifier: saved.verifier }) });
  if (!r.ok) throw new Error('token exchange failed: ' + r.status);
  sessionStorage.setItem(TOKEN, (await r.json()).access_token);
  return true;
}

export function b64url(bytes) {
  let s = '';
  bytes.forEach((b) => { s += String.fromCharCode(b); });
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function b64urlDecode(s) {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
