// Where things are, relative to this folder (ops/src/test/e2e/support).
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

/** ops/src/test/e2e */
export const e2eDir = resolve(here, '..');
/** ops/ */
export const opsDir = resolve(e2eDir, '../../..');
/** The repository root. */
export const repoDir = resolve(opsDir, '..');
/** The server jar `./mvnw package` builds (TSUNAGU_JAR overrides). */
export const jarPath = process.env.TSUNAGU_JAR || resolve(opsDir, 'target/tsunagu-ops.jar');
/** Server log, browser log, failure screenshots: ops/target/e2e (TSUNAGU_E2E_OUT overrides). */
export const outDir = process.env.TSUNAGU_E2E_OUT || resolve(opsDir, 'target/e2e');
/**
 * Phone screenshots: ops/target/e2e/screenshots, so a test run leaves the checkout clean;
 * TSUNAGU_E2E_SCREENSHOTS=docs/screenshots refreshes the ones the docs show.
 */
export const screenshotDir = resolve(repoDir, process.env.TSUNAGU_E2E_SCREENSHOTS || 'ops/target/e2e/screenshots');
/** Debian's chromium unless CHROMIUM says otherwise. */
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
