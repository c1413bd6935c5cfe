// The browser tests of the web client (docs/WEB.md): one server and one browser for the whole run; the same server's
// OpenAPI document and room streams are checked there too, with Redocly CLI, ws and eventsource (no browser).
// Run: node --test (in this folder) after the jar is built; ./mvnw -B verify runs it in integration-test.
import { after, before, describe } from 'node:test';
import { demoApi } from './support/api.mjs';
import { launchBrowser } from './support/browser.mjs';
import { jpegPhoto } from './support/fixtures.mjs';
import { run } from './support/run.mjs';
import { startServer } from './support/server.mjs';
import { startOidcProvider } from './support/oidc.mjs';
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

describe('web client at a phone viewport (demo profile, headless Chromium)', () => {
  before(async () => {
    const t0 = Date.now();
    // The browser first: a missing Chromium fails at once, not after the server's start.
    run.browser = await launchBrowser();
    run.photo = await jpegPhoto(run.browser);
    run.oidc = await startOidcProvider();
    run.server = await startServer([`--tsunagu.web.oidc.issuer=${run.oidc.issuer}`,
      `--tsunagu.web.oidc.client-id=${run.oidc.clientId}`,
      // Urgent messages escalate within seconds here, so the browser test can watch it happen.
      '--tsunagu.urgent.escalate-after=4s', '--tsunagu.urgent.second-escalate-after=1h', '--tsunagu.urgent.scan-every=1s',
      // Push services on loopback: web-push-testing and the capture endpoint (push-service.mjs).
      '--tsunagu.notify.allow-http=true', '--tsunagu.notify.endpoint-hosts=127.0.0.1,localhost']);
    run.oidc.tsunaguBaseUrl = run.server.baseUrl;
    run.api = demoApi(run.server.baseUrl);
    console.log(`# server ${run.server.baseUrl} (pid ${run.server.pid}) ready in ${run.server.startMs} ms, `
      + `log ${run.server.log}; chromium ${run.browser.version()}; setup ${Date.now() - t0} ms`);
  }, { timeout: 180_000 });

  after(async () => {
    await run.browser?.close().catch(() => {});
    await run.server?.stop();
    await run.oidc?.stop();
  }, { timeout: 30_000 });

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
});
