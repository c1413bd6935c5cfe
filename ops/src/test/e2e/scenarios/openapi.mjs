// (#18) The OpenAPI document the server serves, judged by code others wrote: Redocly CLI lints /v3/api-docs with the
// ruleset in redocly.yaml (its recommended one, stricter, with RFC 9457 problem details on every 4xx), and Ajv checks
// the error bodies the server really sends against the document's own Problem schema.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020.js';
import { e2eDir, outDir } from '../support/paths.mjs';

const PROBLEM_JSON = 'application/problem+json';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
/** Well-formed ids nothing has (ids are 24 lowercase hex characters, docs/API.md). */
const UNKNOWN_ID = '0123456789abcdef01234567';
/**
 * Warnings redocly.yaml leaves on but this document may have, each with why. Any other warning fails the test.
 * GET /demo/users and /demo/jwks.json (demo profile only) take no token and no input: nothing to answer 4xx.
 */
const ALLOWED_WARNINGS = [
  { ruleId: 'operation-4xx-response', pointer: '#/paths/~1demo~1users/get/responses' },
  { ruleId: 'operation-4xx-response', pointer: '#/paths/~1demo~1jwks.json/get/responses' },
];

/** Every operation of the document: {method, path, op}. */
function operations(doc) {
  // Upper case: fetch sends 'patch' as it is, and the server does not know that method.
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, op: item[m] })));
}

/** A response object, its $ref (to components.responses) followed. */
function resolve(doc, response) {
  const ref = response.$ref;
  if (!ref) {
    return response;
  }
  assert.ok(ref.startsWith('#/components/responses/'), `unexpected $ref ${ref}`);
  const target = doc.components.responses?.[ref.slice('#/components/responses/'.length)];
  assert.ok(target, `${ref} is not in components.responses`);
  return target;
}

/** The path with its parameters filled: ids unknown to the server unless `values` says otherwise. */
function fill(path, values = {}) {
  return path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(values[name] ?? ({ stamp: 'viewed', userId: 'ns-sato',
    facilityId: 'fac-none', part: 'requests', instanceId: 'no-such-instance' })[name] ?? UNKNOWN_ID));
}

async function fetchDocument(baseUrl) {
  const r = await fetch(`${baseUrl}/v3/api-docs`);
  assert.equal(r.status, 200);
  return r.json();
}

/** Ajv (JSON Schema 2020-12, which OpenAPI 3.1 schemas are) compiled against the document's components. */
function problemValidator(doc) {
  assert.ok(doc.components?.schemas?.Problem, 'the document has no Problem schema');
  // Formats (int64, binary ...) are OpenAPI's vocabulary, not Ajv's: only the structure is checked.
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: 'urn:tsunagu:api-docs', components: { schemas: doc.components.schemas } });
  return ajv.compile({ $ref: 'urn:tsunagu:api-docs#/components/schemas/Problem' });
}

/** Checks a real error answer: the status, problem+json, a body the document's Problem schema accepts. */
async function expectProblem(response, status, what, validate) {
  const text = await response.text();
  assert.equal(response.status, status, `${what}: answered ${response.status} ${text}`);
  assert.equal(response.headers.get('content-type')?.split(';')[0], PROBLEM_JSON, `${what}: content type`);
  const body = JSON.parse(text);
  assert.ok(validate(body), `${what}: ${JSON.stringify(validate.errors)} in ${text}`);
  assert.equal(body.status, status, `${what}: status in the body`);
  return { body, headers: response.headers };
}

export default function openApi(run) {
  test('OpenAPI: the served /v3/api-docs passes Redocly CLI lint (redocly.yaml): no error, no unexplained warning',
    { timeout: 60_000 }, async () => {
      const doc = await fetchDocument(run.server.baseUrl);
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, 'api-docs.json');
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const cli = join(e2eDir, 'node_modules/@redocly/cli/bin/cli.js');
      let stdout;
      try {
        ({ stdout } = await promisify(execFile)(process.execPath,
          [cli, 'lint', file, '--config', join(e2eDir, 'redocly.yaml'), '--format=json', '--max-problems=1000'],
          // No usage data or update check: CI reaches the npm registry only.
          { cwd: e2eDir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
            maxBuffer: 32 * 1024 * 1024 }));
      } catch (e) {
        // Exit 1 when an error was found: the report is still on stdout.
        if (!e.stdout) {
          throw e;
        }
        stdout = e.stdout;
      }
      const report = JSON.parse(stdout);
      const where = (p) => `${p.severity} ${p.ruleId} at ${p.location?.[0]?.pointer}: ${p.message}`;
      const errors = report.problems.filter((p) => p.severity === 'error');
      assert.deepEqual(errors.map(where), [], `Redocly lint errors in ${file}`);
      const unexplained = report.problems.filter((p) => p.severity === 'warn' && !ALLOWED_WARNINGS.some(
        (a) => a.ruleId === p.ruleId && a.pointer === p.location?.[0]?.pointer));
      assert.deepEqual(unexplained.map(where), [], `Redocly lint warnings not in ALLOWED_WARNINGS, in ${file}`);
      console.log(`# redocly ${report.version}: ${operations(doc).length} operations, `
        + `${report.totals.errors} errors, ${report.totals.warnings} warnings (allowed)`);
    });

  test('OpenAPI: every operation documents its error answers as problem+json with the Problem schema', async () => {
    const doc = await fetchDocument(run.server.baseUrl);
    const problem = doc.components?.schemas?.Problem;
    assert.ok(problem, 'the document has no Problem schema');
    assert.deepEqual([...problem.required].sort(), ['detail', 'instance', 'status', 'title', 'type']);
    const ops = operations(doc);
    assert.ok(ops.length > 50, `only ${ops.length} operations documented`);
    const missing4xx = [];
    for (const { method, path, op } of ops) {
      const name = `${method} ${path}`;
      const codes = Object.keys(op.responses);
      const errors = codes.filter((c) => /^[45]\d\d$/.test(c));
      assert.ok(codes.includes('500'), `${name}: no 500`);
      const takesSomething = op.security === undefined || op.security.length > 0 || (op.parameters ?? []).length > 0
        || op.requestBody;
      if (takesSomething && !errors.some((c) => c.startsWith('4'))) {
        missing4xx.push(name);
      }
      if (op.security === undefined || op.security.length > 0) {
        assert.ok(codes.includes('401'), `${name} wants a token but documents no 401`);
      }
      for (const code of errors) {
        const response = resolve(doc, op.responses[code]);
        assert.deepEqual(Object.keys(response.content ?? {}), [PROBLEM_JSON], `${name} ${code}: content types`);
        assert.equal(response.content[PROBLEM_JSON].schema?.$ref, '#/components/schemas/Problem', `${name} ${code}: schema`);
      }
    }
    assert.deepEqual(missing4xx, [], 'operations taking a token or input without a 4xx answer');
  });

  test('OpenAPI: the error answers the document promises are the ones the server sends (no token, unknown room, bad id, '
    + 'wrong content type), each body valid against the document\'s Problem schema', { timeout: 120_000 }, async () => {
    const { baseUrl } = run.server;
    const doc = await fetchDocument(baseUrl);
    const validate = problemValidator(doc);
    const token = await run.api.token('ns-sato');
    const bearer = { authorization: `Bearer ${token}` };
    const ops = operations(doc);
    const jsonBody = (op) => op.requestBody?.content?.['application/json'] !== undefined;
    const counts = { 401: 0, 404: 0, 400: 0, 415: 0 };

    for (const { method, path, op } of ops) {
      const codes = Object.keys(op.responses);
      const name = `${method} ${path}`;
      if (codes.includes('401') && (op.security === undefined || op.security.length > 0)) {
        // Refused before any handler runs: nothing is changed, whatever the method.
        const { headers } = await expectProblem(await fetch(`${baseUrl}${fill(path)}`, { method }), 401,
          `${name} without a token`, validate);
        assert.equal(headers.get('www-authenticate'), 'Bearer', `${name}: WWW-Authenticate`);
        counts[401]++;
      }
      if (!path.includes('{roomId}')) {
        continue;
      }
      if (codes.includes('404') && !op.requestBody) {
        // A room nobody has: refused as unknown (a body would be validated first).
        await expectProblem(await fetch(`${baseUrl}${fill(path)}`, { method, headers: bearer }), 404,
          `${name} in an unknown room`, validate);
        counts[404]++;
      }
      if (codes.includes('400') && (!op.requestBody || jsonBody(op))) {
        const init = { method, headers: { ...bearer } };
        if (op.requestBody) {
          init.headers['content-type'] = 'application/json';
          init.body = '{}';
        }
        await expectProblem(await fetch(`${baseUrl}${fill(path, { roomId: 'not-an-id' })}`, init), 400,
          `${name} with a malformed room id`, validate);
        counts[400]++;
      }
    }
    for (const { method, path, op } of ops) {
      if (Object.keys(op.responses).includes('415') && jsonBody(op)) {
        // Refused while reading the body, before the handler: the unknown room or the caller's rights never matter.
        await expectProblem(await fetch(`${baseUrl}${fill(path)}`, { method, headers: { ...bearer, 'content-type': 'text/plain' },
          body: 'not json' }), 415, `${method} ${path} with a text/plain body`, validate);
        counts[415]++;
      }
    }
    for (const [code, n] of Object.entries(counts)) {
      assert.ok(n >= 5, `only ${n} operations checked for ${code}`);
    }
    console.log(`# problem answers checked against the document: ${JSON.stringify(counts)}`);
  });
}
