// The REST API (docs/API.md). Errors are problem+json; ApiError keeps status and body.
import { token, signOut } from './auth.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || 'HTTP ' + status);
    this.status = status;
    this.problem = problem;
  }
}

/** A call that reached the server (else it throws TypeError: offline, DNS, reset). */
export async function api(method, path, body, headers = {}) {
  const form = body instanceof FormData;
  const r = await fetch('/api/v1' + path, {
    method,
    headers: { authorization: 'Bearer ' + token(), ...(body && !form ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : form ? body : JSON.stringify(body),
  });
  if (r.status === 401) {
    signOut();
    location.hash = '#/';
    location.reload();
  }
  if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
  return r.status === 204 ? null : r.json().catch(() => null);
}

export const get = (path) => api('GET', path);
export const post = (path, body, headers) => api('POST', path, body ?? {}, headers);

/** An image that needs the bearer token: fetched as a blob, shown through an object URL. */
export async function imageUrl(path) {
  const r = await fetch(path, { headers: { authorization: 'Bearer ' + token() } });
  if (!r.ok) throw new ApiError(r.status, null);
  return URL.createObjectURL(await r.blob());
}
