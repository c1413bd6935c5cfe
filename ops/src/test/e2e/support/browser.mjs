// Headless Debian Chromium through playwright-core, phone-sized contexts, and the sign-in the client offers.
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumPath, outDir, screenshotDir } from './paths.mjs';

/** How long a step may wait for the client (an element to appear, a live event to arrive). */
export const STEP_TIMEOUT_MS = 15_000;

export const PHONE = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'ja-JP',
  timezoneId: 'Asia/Tokyo',
};

const browserLog = () => join(outDir, 'browser.log');

export async function launchBrowser() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install Debian's chromium `
      + `(apt-get install -y chromium) or run .ci/run; CHROMIUM may point at another binary.`);
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(browserLog(), '');
  rmSync(join(outDir, 'failures'), { recursive: true, force: true });
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A fresh phone context (its own storage: one person on one phone), logging the page's console errors,
 * uncaught exceptions and failed requests to ops/target/e2e/browser.log under `label`.
 */
export async function phoneContext(browser, label) {
  const context = await browser.newContext(PHONE);
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const write = (line) => appendFileSync(browserLog(),
    `${new Date().toISOString()} [${label}] ${line.replace(/access_token=[^&\s'"]+/g, 'access_token=…')}\n`);
  context.on('page', (page) => {
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') {
        write(`console.${m.type()}: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => write(`pageerror: ${e.stack || e.message}`));
    page.on('requestfailed', (r) => write(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) {
        write(`http ${r.status()}: ${r.request().method()} ${r.url()}`);
      }
    });
  });
  return context;
}

/**
 * Signs in as a demo user the way a person does: opens <base>/app/ and taps the user's button
 * (`demo-user-<userId>`), then waits for the first screen, "my actions" (`inbox`). Returns the page.
 */
export async function signIn(context, baseUrl, userId) {
  const page = await context.newPage();
  const response = await page.goto(`${baseUrl}/app/`);
  if (!response || response.status() !== 200) {
    throw new Error(`GET ${baseUrl}/app/ answered ${response?.status()}`);
  }
  await page.getByTestId(`demo-user-${userId}`).click();
  await page.getByTestId('inbox').waitFor({ state: 'visible' });
  return page;
}

/** Goes to the room list from a top screen (the `nav-rooms` tab) and waits for it. */
export async function openRoomList(page) {
  await page.getByTestId('nav-rooms').click();
  await page.getByTestId('room-list').waitFor({ state: 'visible' });
}

/** Opens a room from the room list (`room-<roomId>`) and waits for its timeline. */
export async function openRoom(page, roomId) {
  if (!(await page.getByTestId('room-list').isVisible())) await openRoomList(page);
  await page.getByTestId('room-list').getByTestId(`room-${roomId}`).click();
  await page.getByTestId('timeline').waitFor({ state: 'visible' });
}

/** The `message` elements whose `message-text` contains `text`. */
export function messagesWithText(page, text) {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-text').filter({ hasText: text }) });
}

/** The `message` element of one message id. */
export function messageById(page, messageId) {
  return page.locator(`[data-testid="message"][data-message-id="${messageId}"]`);
}

/**
 * Retries `check` (which throws while its condition does not hold) until it passes or `timeout` ms have
 * gone, then throws its last error. For conditions that arrive asynchronously (live events, the outbox).
 */
export async function eventually(check, { timeout = STEP_TIMEOUT_MS, interval = 200 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() >= deadline) {
        e.message = `still failing after ${timeout} ms: ${e.message}`;
        throw e;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Saves a phone-viewport screenshot as <name>.png in {@link screenshotDir} (overwritten by each run). */
export async function keepScreenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

/**
 * Runs a scenario with phone contexts it may open through `open(label)`; on failure each open page is
 * saved to ops/target/e2e/failures/<scenario>-<label>.png; the contexts are closed either way.
 */
export async function withPhones(browser, scenario, body) {
  const contexts = [];
  const open = async (label) => {
    const context = await phoneContext(browser, `${scenario}/${label}`);
    contexts.push({ label, context });
    return context;
  };
  try {
    return await body(open);
  } catch (e) {
    const dir = join(outDir, 'failures');
    mkdirSync(dir, { recursive: true });
    for (const { label, context } of contexts) {
      for (const [i, page] of context.pages().entries()) {
        const file = join(dir, `${scenario}-${label}${i ? `-${i}` : ''}.png`);
        await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      }
    }
    throw e;
  } finally {
    for (const { context } of contexts) {
      await context.close().catch(() => {});
    }
  }
}
