// A minimal OpenID provider for the sign-in test: discovery, an authorization endpoint that signs in the user
// the test names (no login page) and answers with a code, and a token endpoint that checks the PKCE verifier
// against the challenge (S256), the client id and the redirect URI before it hands out a real access token
// from the Tsunagu demo issuer (the token the server trusts in the demo profile). It records each exchange.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { freePort } from './server.mjs';

const b64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export async function startOidcProvider() {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const codes = new Map();
  const provider = { issuer, clientId: 'tsunagu-web-e2e', tsunaguBaseUrl: null, nextUser: null, authorizations: [], exchanges: [] };
  const cors = { 'access-control-allow-origin': '*' };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    const json = (status, body) => { res.writeHead(status, { ...cors, 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`,
        response_types_supported: ['code'], code_challenge_methods_supported: ['S256'] });
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const q = Object.fromEntries(url.searchParams);
      provider.authorizations.push(q);
      if (q.response_type !== 'code' || q.client_id !== provider.clientId || q.code_challenge_method !== 'S256'
        || !q.code_challenge || !provider.nextUser) {
        return json(400, { error: 'invalid_request' });
      }
      const code = b64url(randomBytes(16));
      codes.set(code, { challenge: q.code_challenge, redirectUri: q.redirect_uri, user: provider.nextUser });
      res.writeHead(302, { location: `${q.redirect_uri}?code=${code}&state=${encodeURIComponent(q.state)}` });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = Object.fromEntries(new URLSearchParams(body));
      const grant = codes.get(form.code);
      codes.delete(form.code); // a code is good once
      const verified = !!grant && form.grant_type === 'authorization_code' && form.client_id === provider.clientId
        && form.redirect_uri === grant.redirectUri
        && b64url(createHash('sha256').update(form.code_verifier || '').digest()) === grant.challenge;
      provider.exchanges.push({ verified, user: grant?.user });
      if (!verified) return json(400, { error: 'invalid_grant' });
      const r = await fetch(`${provider.tsunaguBaseUrl}/demo/token`, { method: 'POST',
        headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: grant.user }) });
      return json(200, { ...(await r.json()), token_type: 'Bearer' });
    }
    return json(404, { error: 'not_found' });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  provider.stop = () => new Promise((resolve) => server.close(resolve));
  return provider;
}
