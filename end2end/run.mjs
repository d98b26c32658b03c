// Runs every journey in tests/ against BASE_URL in Debian Chromium (playwright-core; no browser
// download), one fresh profile per journey. Screenshots go to screenshots/. Prints "N passed, N failed"
// and exits non-zero on any failure or uncaught page error.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_URL } from './support.mjs';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function waitForServer() {
  for (let i = 0; i < 120; i++) {
    try { if ((await fetch(`${BASE_URL}/healthz`)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`server at ${BASE_URL} did not answer /healthz`);
}

await waitForServer();
mkdirSync('screenshots', { recursive: true });
const only = process.argv[2];
const files = readdirSync('tests').filter((f) => f.endsWith('.mjs') && (!only || f.includes(only))).sort();
let passed = 0, failed = 0;
for (const file of files) {
  const journeys = await import(`./tests/${file}`);
  for (const [name, journey] of Object.entries(journeys)) {
    const profile = mkdtempSync(join(tmpdir(), 'palisade-e2e-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 860 },
    });
    const page = context.pages()[0] ?? await context.newPage();
    const pageErrors = [];
    const consoleErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    const shot = (label) => page.screenshot({ path: `screenshots/${file.replace('.mjs', '')}-${name}-${label}.png`, fullPage: true });
    try {
      await journey({ page, context, shot });
      if (pageErrors.length) throw new Error(`page errors: ${pageErrors.join(' | ')}`);
      passed++;
      console.log(`ok   ${file} ${name}`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${file} ${name}: ${err.stack ?? err}`);
      if (consoleErrors.length) console.log(`     browser console errors:\n       ${consoleErrors.join('\n       ')}`);
      await shot('failure').catch(() => {});
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
