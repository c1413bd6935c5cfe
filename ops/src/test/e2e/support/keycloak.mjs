// A real Keycloak for the browser tests (docs/SECURITY.md, "Pointing at Keycloak"): the distribution the build
// unpacks into ops/target/keycloak (maven-dependency-plugin, org.keycloak:keycloak-quarkus-dist), started once per
// run in dev mode (embedded H2, a fresh database each run) on free loopback ports, HTTP only, importing the realm
// file the docs give (docs/keycloak/tsunagu-realm.json) with only the web client's address changed, plus a copy of
// it under another realm name and two test-only clients (below). Stopped at the end, killed if the run dies.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tail } from './server.mjs';
import { outDir, repoDir } from './paths.mjs';

/** The realm file operators import (docs/SECURITY.md); the tests import it, so the two cannot drift apart. */
export const realmFile = join(repoDir, 'docs/keycloak/tsunagu-realm.json');
/** ops/target/keycloak/keycloak-<version>, unpacked by the build (KEYCLOAK_HOME overrides). */
export const keycloakHome = process.env.KEYCLOAK_HOME || findUnpacked();
/** The password every user of the realm file has (docs/keycloak/tsunagu-realm.json). */
export const PASSWORD = 'tsunagu-demo';
/** A realm like the trusted one in all but its name (so its issuer and signing keys): its tokens must be refused. */
export const OTHER_REALM = 'elsewhere';
/** Test-only: the web client's mappers, with the password grant, so a test can get a token without a browser. */
export const PASSWORD_CLIENT = 'tsunagu-test-password';
/** Test-only: the same, with access tokens that expire 15 seconds after they are issued. */
export const EXPIRING_CLIENT = 'tsunagu-test-expiring';
export const EXPIRING_LIFESPAN_S = 15;

// A cold start on 2 busy cores: ~30 s here, ~60 s the first time (Quarkus re-augments the unpacked distribution
// for dev mode once), more while other processes compete.
const START_TIMEOUT_MS = 240_000;
const STOP_GRACE_MS = 15_000;

function findUnpacked() {
  const dir = join(repoDir, 'ops/target/keycloak');
  const found = existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('keycloak-')).sort() : [];
  return found.length ? join(dir, found.at(-1)) : join(dir, 'keycloak-<version>');
}

/** The feature release of a JDK folder, from its `release` file (JAVA_VERSION="25.0.1"), or 0. */
function jdkMajor(home) {
  try {
    const v = /JAVA_VERSION="([0-9]+)/.exec(readFileSync(join(home, 'release'), 'utf8'));
    return v && existsSync(join(home, 'bin', 'java')) ? Number(v[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * The JDK for Keycloak's process only (the project stays on Java 17): KEYCLOAK_JAVA_HOME if set; else the newest
 * JDK 21+ under /usr/lib/jvm (this machine kind has Temurin 25 there); else the build's own Java. Keycloak 26.7
 * supports OpenJDK 17, 21 and 25 (keycloak.org, "Supported configurations"), 17 deprecated since Keycloak 25.
 */
export function keycloakJava() {
  if (process.env.KEYCLOAK_JAVA_HOME) {
    return { home: process.env.KEYCLOAK_JAVA_HOME, major: jdkMajor(process.env.KEYCLOAK_JAVA_HOME), why: 'KEYCLOAK_JAVA_HOME' };
  }
  const jvm = '/usr/lib/jvm';
  const candidates = existsSync(jvm) ? readdirSync(jvm).map((d) => join(jvm, d))
    .map((home) => ({ home, major: jdkMajor(home) })).filter((j) => j.major >= 21) : [];
  candidates.sort((a, b) => b.major - a.major);
  if (candidates.length) {
    return { ...candidates[0], why: `newest JDK 21+ in ${jvm}` };
  }
  const home = process.env.JAVA_HOME || '';
  const out = spawnSync(home ? join(home, 'bin', 'java') : 'java', ['-version'], { encoding: 'utf8' });
  const major = Number(/version "(\d+)/.exec(out.stderr || '')?.[1] || 0);
  return { home, major, why: 'no JDK 21+ found: the build\'s Java (deprecated for Keycloak, still supported by 26.7)' };
}

/**
 * The realm file as an operator imports it, but for this run's web client address; and the test-only clients.
 * @param {object} realm the parsed realm file
 * @param {string} webUrl e.g. http://127.0.0.1:41234 (the Tsunagu server the browser opens)
 */
export function realmForRun(realm, webUrl) {
  const r = structuredClone(realm);
  const web = r.clients.find((c) => c.clientId === 'tsunagu-web');
  web.redirectUris = [`${webUrl}/app/`];
  web.webOrigins = [webUrl];
  web.attributes['post.logout.redirect.uris'] = `${webUrl}/app/`;
  const testClient = (clientId, attributes) => ({
    ...structuredClone(web), clientId, name: `${clientId} (tests only)`, description: 'Not in the docs\' realm file',
    standardFlowEnabled: false, directAccessGrantsEnabled: true, redirectUris: [], webOrigins: [],
    attributes: { ...web.attributes, ...attributes },
  });
  r.clients.push(testClient(PASSWORD_CLIENT, {}));
  // Keycloak's per-client access token lifespan, in seconds (admin console: Advanced → Access Token Lifespan):
  // short, but long enough that the token's first use is surely before its exp, even on a busy machine.
  r.clients.push(testClient(EXPIRING_CLIENT, { 'access.token.lifespan': String(EXPIRING_LIFESPAN_S) }));
  return r;
}

/** The same realm under another name. User ids are unique across realms in Keycloak's database: new ones here. */
export function otherRealm(realm) {
  const r = structuredClone(realm);
  r.realm = OTHER_REALM;
  r.displayName = 'Another region';
  r.users.forEach((u) => delete u.id);
  return r;
}

/** Process groups still running; killed hard if this process ends without stopping them. */
const groups = new Set();
process.on('exit', () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts Keycloak on `port` and returns at once: `ready` resolves with {baseUrl, issuer(realm), startMs, java} when
 * the realm answers its discovery document; `stop()` ends it, started or not. The caller picks the port, so a
 * server that trusts the realm can start before Keycloak is ready (Spring reads the issuer on the first token). bin/kc.sh runs Java as its child (and may
 * start it twice, after re-augmenting): it runs in its own process group, and the group is signalled.
 *
 * @param {{webUrl: string, port: number}} options the Tsunagu server address the realm's web client redirects to,
 *   and Keycloak's HTTP port
 */
export function startKeycloak({ webUrl, port }) {
  const kcSh = join(keycloakHome, 'bin', 'kc.sh');
  if (!existsSync(kcSh)) {
    throw new Error(`${kcSh} not found: the build unpacks Keycloak into ops/target/keycloak in `
      + `pre-integration-test (./mvnw -B verify; or ./mvnw -B -pl ops dependency:unpack@keycloak-unpack)`);
  }
  mkdirSync(outDir, { recursive: true });
  const log = join(outDir, 'keycloak.log');
  // A fresh embedded database and import folder each run (dev mode keeps them in <home>/data).
  const data = join(keycloakHome, 'data');
  rmSync(data, { recursive: true, force: true });
  mkdirSync(join(data, 'import'), { recursive: true });
  const realm = JSON.parse(readFileSync(realmFile, 'utf8'));
  writeFileSync(join(data, 'import', 'tsunagu.json'), JSON.stringify(realmForRun(realm, webUrl)));
  writeFileSync(join(data, 'import', `${OTHER_REALM}.json`), JSON.stringify(realmForRun(otherRealm(realm), webUrl)));

  const java = keycloakJava();
  let child = null;
  let exited = null;
  let stopped = false;
  const out = createWriteStream(log);
  const started = Date.now();
  const baseUrl = `http://127.0.0.1:${port}`;
  const issuer = (realmName) => `${baseUrl}/realms/${realmName}`;

  const ready = (async () => {
    const managementPort = await freePort();
    const args = ['start-dev', '--import-realm', '--http-host=127.0.0.1', `--http-port=${port}`,
      `--http-management-port=${managementPort}`];
    if (out.pending) await new Promise((resolve) => out.once('open', resolve));
    if (stopped) {
      throw new Error('Keycloak was stopped before it started');
    }
    out.write(`# ${java.home || '(PATH)'} (Java ${java.major}: ${java.why})\n# ${kcSh} ${args.join(' ')}\n`);
    const env = { ...process.env };
    if (java.home) {
      env.JAVA_HOME = java.home;
    } else {
      delete env.JAVA_HOME;
    }
    child = spawn(kcSh, args, { cwd: keycloakHome, env, detached: true, stdio: ['ignore', out, out] });
    groups.add(child.pid);
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      groups.delete(child.pid);
    });
    child.once('error', (e) => {
      exited = { error: e };
      groups.delete(child.pid);
    });
    let last = 'no answer';
    while (Date.now() - started < START_TIMEOUT_MS) {
      if (exited) {
        const why = exited.error ? exited.error.message : `exit code ${exited.code}, signal ${exited.signal}`;
        throw new Error(`Keycloak exited before it was ready (${why}); last lines of ${log}:\n${tail(log, 40)}`);
      }
      try {
        const r = await fetch(`${baseUrl}/realms/tsunagu/.well-known/openid-configuration`,
          { signal: AbortSignal.timeout(2_000) });
        if (r.status === 200) {
          return { baseUrl, issuer, log, pid: child.pid, startMs: Date.now() - started, java };
        }
        last = `${r.status}`;
      } catch (e) {
        last = e.cause?.code || e.message;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`Keycloak was not ready after ${START_TIMEOUT_MS / 1000} s (last answer: ${last}); `
      + `last lines of ${log}:\n${tail(log, 40)}`);
  })();
  // Whoever awaits `ready` sees its failure; a run that failed before awaiting it must not die of it unhandled.
  ready.catch(() => {});

  const stop = async () => {
    stopped = true;
    if (child && !exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      const signal = (s) => {
        try {
          process.kill(-child.pid, s);
        } catch {
          // the group is gone
        }
      };
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
      // kc.sh waits for its Java child on TERM; anything of the group still alive now goes too.
      signal('SIGKILL');
    }
    await new Promise((resolve) => out.end(resolve));
  };
  return { baseUrl, issuer, ready, stop };
}

/**
 * A token from the realm's token endpoint with the password grant (test-only clients above).
 * @returns {Promise<{access_token: string, expires_in: number}>}
 */
export async function passwordGrant(issuer, clientId, username, password = PASSWORD) {
  const r = await fetch(`${issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: clientId, username, password, scope: 'openid' }),
  });
  const body = await r.json().catch(() => null);
  if (r.status !== 200 || !body?.access_token) {
    throw new Error(`password grant for ${username} at ${issuer} (${clientId}) answered ${r.status}: ${JSON.stringify(body)}`);
  }
  return body;
}

/** The claims of a JWT, unverified (for assertions about what Keycloak put in it; the server verifies). */
export function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}
