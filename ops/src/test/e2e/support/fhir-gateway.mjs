// The regional network's FHIR endpoint as it looks when the network trusts the same Keycloak realm as Tsunagu
// (docs/SECURITY.md, "Pointing at Keycloak": the connector client): every request must carry an access token that
// Keycloak signed for the connector client, checked here with jose (RFC 7515/7519, by another author) against the
// realm's published keys and issuer; accepted requests are passed to the demo's FHIR server (the server under test
// starts it), whose own token this gateway fetches. Each request's verdict is recorded for the test.
import { createServer } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { freePort } from './server.mjs';

/** The demo FHIR server's client (ops application-demo.yml, tsunagu.demo.fhir.client-secret). */
const DEMO_FHIR_CLIENT = { id: 'tsunagu-demo', secret: 'demo-secret' };

/**
 * @param {{issuer: string, clientId: string}} trust the realm whose tokens are accepted, and the client they must
 *   have been issued to (Keycloak's `azp`)
 */
export async function startFhirGateway({ issuer, clientId }) {
  const port = await freePort();
  const jwks = createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`));
  const gateway = { base: `http://127.0.0.1:${port}/fhir`, upstreamPort: null, requests: [] };
  let upstreamToken = null;

  async function fetchUpstreamToken() {
    const r = await fetch(`http://127.0.0.1:${gateway.upstreamPort}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${DEMO_FHIR_CLIENT.id}:${DEMO_FHIR_CLIENT.secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    if (r.status !== 200) throw new Error(`the demo FHIR server's token endpoint answered ${r.status}`);
    return (await r.json()).access_token;
  }

  const server = createServer(async (req, res) => {
    const outcome = (status, diagnostics) => {
      res.writeHead(status, { 'content-type': 'application/fhir+json',
        ...(status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {}) });
      res.end(JSON.stringify({ resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: status === 401 ? 'login' : 'exception', diagnostics }] }));
    };
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization || '')?.[1];
    let verdict;
    try {
      if (!bearer) throw Object.assign(new Error('no bearer token'), { code: 'NO_TOKEN' });
      const { payload } = await jwtVerify(bearer, jwks, { issuer, algorithms: ['RS256'] });
      verdict = payload.azp === clientId ? { accepted: true, azp: payload.azp }
        : { accepted: false, why: `issued to ${payload.azp}, not ${clientId}` };
    } catch (e) {
      verdict = { accepted: false, why: e.code || e.message };
    }
    gateway.requests.push({ method: req.method, path: req.url, ...verdict });
    if (!verdict.accepted) return outcome(401, verdict.why);
    try {
      upstreamToken ??= await fetchUpstreamToken();
      const upstream = `http://127.0.0.1:${gateway.upstreamPort}`;
      const r = await fetch(`${upstream}${req.url}`, { headers: { authorization: `Bearer ${upstreamToken}`,
        accept: req.headers.accept || 'application/fhir+json' } });
      // Links in the answer (next pages, fullUrl) point at the gateway, as the network's own would.
      const body = (await r.text()).replaceAll(`${upstream}/fhir`, gateway.base)
        .replaceAll(`http://localhost:${gateway.upstreamPort}/fhir`, gateway.base);
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/fhir+json' });
      res.end(body);
    } catch (e) {
      outcome(502, e.message);
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  gateway.stop = () => new Promise((resolve) => server.close(resolve));
  return gateway;
}
