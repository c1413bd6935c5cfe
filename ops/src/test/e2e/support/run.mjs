// What the scenarios share for the whole run, filled in by e2e.test.mjs's before hook:
// server ({baseUrl, log, stop, ...}), api (demoApi), browser (playwright Browser), photo (JPEG file payload).
export const run = {
  server: null,
  api: null,
  browser: null,
  photo: null,
};

/** A short tag that makes this run's names and texts unique. */
export function tag() {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}
