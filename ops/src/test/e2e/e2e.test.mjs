// The browser tests of the web client (docs/WEB.md): one server and one browser for the whole run; the same server's
// OpenAPI document and room streams are checked there too, with Redocly CLI, ws and eventsource (no browser).
// Run: node --test (in this folder) after the jar is built; ./mvnw -B verify runs it in integration-test.
import { readFileSync } from 'node:fs';
import { after, before, describe } from 'node:test';
import { demoApi } from './support/api.mjs';
import { launchBrowser } from './support/browser.mjs';
import { jpegPhoto } from './support/fixtures.mjs';
import { run } from './support/run.mjs';
import { startServer } from './support/server.mjs';
import { startOidcProvider } from './support/oidc.mjs';
import { EXPIRING_CLIENT, passwordGrant, realmFile, startKeycloak } from './support/keycloak.mjs';
import { startFhirGateway } from './support/fhir-gateway.mjs';
import { freePort } from './support/server.mjs';
import smoke from './scenarios/smoke.mjs';
import photo from './scenarios/photo.mjs';
import stampsAndReadBy from './scenarios/stamps-read-by.mjs';
import offlinePost from './scenarios/offline-post.mjs';
import consentExcerpt from './scenarios/consent-excerpt.mjs';
import nonMember from './scenarios/non-member.mjs';
import oidcSignIn from './scenarios/oidc-sign-in.mjs';
import requestsAndUrgent from './scenarios/requests-urgent.mjs';
import pushService from './scenarios/push-service.mjs';
import notifications from './scenarios/notifications.mjs';
import search from './scenarios/search.mjs';
import openApi from './scenarios/openapi.mjs';
import streams from './scenarios/streams.mjs';
import keycloak from './scenarios/keycloak.mjs';

describe('web client at a phone viewport (demo profile, headless Chromium)', () => {
  before(async () => {
    const t0 = Date.now();
    // The browser first: a missing Chromium fails at once, not after the server's start.
    run.browser = await launchBrowser();
    run.photo = await jpegPhoto(run.browser);
    // Keycloak, the demo server and the Keycloak scenarios' server start side by side. Ports are chosen first: the
    // realm's web client names the second server's address, and that server names Keycloak's realm as its issuer.
    const [keycloakPort, keycloakServerPort] = [await freePort(), await freePort()];
    run.keycloakProcess = startKeycloak({ webUrl: `http://127.0.0.1:${keycloakServerPort}`, port: keycloakPort });
    const issuer = run.keycloakProcess.issuer('tsunagu');
    run.oidc = await startOidcProvider();
    // The Keycloak scenarios' server: the demo's data and simulators, the demo issuer off, Keycloak's realm the
    // only issuer it trusts (docs/SECURITY.md); its FHIR source reads through a gateway that trusts the same realm.
    const connector = JSON.parse(readFileSync(realmFile, 'utf8')).clients.find((c) => c.clientId === 'tsunagu-connector');
    run.fhirGateway = await startFhirGateway({ issuer, clientId: connector.clientId });
    const [server, keycloakServer] = await Promise.allSettled([
      startServer([`--tsunagu.web.oidc.issuer=${run.oidc.issuer}`,
        `--tsunagu.web.oidc.client-id=${run.oidc.clientId}`,
        // Urgent messages escalate within seconds here, so the browser test can watch it happen.
        '--tsunagu.urgent.escalate-after=4s', '--tsunagu.urgent.second-escalate-after=1h', '--tsunagu.urgent.scan-every=1s',
        // Push services on loopback: web-push-testing and the capture endpoint (push-service.mjs).
        '--tsunagu.notify.allow-http=true', '--tsunagu.notify.endpoint-hosts=127.0.0.1,localhost']),
      startServer([
        '--tsunagu.demo.issuer.enabled=false',
        `--spring.security.oauth2.resourceserver.jwt.issuer-uri=${issuer}`,
        `--tsunagu.web.oidc.issuer=${issuer}`,
        `--tsunagu.record.fhir.base-url=${run.fhirGateway.base}`,
        `--tsunagu.record.fhir.token-url=${issuer}/protocol/openid-connect/token`,
        `--tsunagu.record.fhir.client-id=${connector.clientId}`,
        `--tsunagu.record.fhir.client-secret=${connector.secret}`,
      ], { port: keycloakServerPort, name: 'server-keycloak' }),
    ]);
    run.server = server.value;
    run.keycloakServer = keycloakServer.value;
    for (const started of [server, keycloakServer]) {
      if (started.status === 'rejected') throw started.reason;
    }
    run.oidc.tsunaguBaseUrl = run.server.baseUrl;
    run.api = demoApi(run.server.baseUrl);
    run.fhirGateway.upstreamPort = run.keycloakServer.fhirPort;
    console.log(`# server ${run.server.baseUrl} (pid ${run.server.pid}) ready in ${run.server.startMs} ms, `
      + `log ${run.server.log}; chromium ${run.browser.version()}`);
    console.log(`# keycloak's server ${run.keycloakServer.baseUrl} (pid ${run.keycloakServer.pid}) ready in `
      + `${run.keycloakServer.startMs} ms, log ${run.keycloakServer.log}`);

    run.keycloak = await run.keycloakProcess.ready;
    console.log(`# keycloak ${run.keycloak.baseUrl} (pid ${run.keycloak.pid}, Java ${run.keycloak.java.major}: `
      + `${run.keycloak.java.why}) ready in ${run.keycloak.startMs} ms, log ${run.keycloak.log}; `
      + `setup ${Date.now() - t0} ms`);
    // A token that expires 15 s after it is issued, used once now while fresh (so the server's token cache holds
    // it); the expiry scenario uses it again at the end of the run, long past its exp and the server's clock skew.
    const early = await passwordGrant(issuer, EXPIRING_CLIENT, 'ns-sato');
    const firstUse = await fetch(`${run.keycloakServer.baseUrl}/api/v1/rooms`,
      { headers: { authorization: `Bearer ${early.access_token}` } });
    run.keycloakEarly = { token: early.access_token, firstUse: firstUse.status, usedAt: Date.now() };
  }, { timeout: 420_000 });

  after(async () => {
    await run.browser?.close().catch(() => {});
    await run.server?.stop();
    await run.keycloakServer?.stop();
    await run.keycloakProcess?.stop();
    await run.fhirGateway?.stop();
    await run.oidc?.stop();
  }, { timeout: 60_000 });

  smoke(run);
  photo(run);
  stampsAndReadBy(run);
  offlinePost(run);
  consentExcerpt(run);
  nonMember(run);
  oidcSignIn(run);
  requestsAndUrgent(run);
  pushService(run);
  notifications(run);
  search(run);
  openApi(run);
  streams(run);
  // Last: the expired-token check then needs no wait (the short-lived token was issued at the start).
  keycloak(run);
});
