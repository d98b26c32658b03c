// Helpers for the browser journeys, split the Leptos-e2e way: `find`, `act`, `expect`, plus an API
// client that prepares users through the REST API (what an operator script would do).
import assert from 'node:assert/strict';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
export const OWNER = { email: process.env.E2E_OWNER_EMAIL ?? 'owner@example.com', password: process.env.E2E_OWNER_PASSWORD ?? 'owner-password-123' };
export const PASSWORD = 'journey-password-123';

/** A cookie-session client of /api (no browser), used to prepare fixtures. */
export async function apiSession(email, password) {
  const res = await fetch(`${BASE_URL}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, `login ${email}: ${JSON.stringify(body)}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('palisade_session=')).split(';')[0];
  const call = async (method, path, payload) => {
    const r = await fetch(`${BASE_URL}${path}`, {
      method,
      headers: { cookie, 'x-palisade-csrf': body.csrf_token, ...(payload ? { 'content-type': 'application/json' } : {}) },
      body: payload ? JSON.stringify(payload) : undefined,
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  return { call, session: body };
}

/** Creates a user with `role` through the owner's session and gives them PASSWORD. */
export async function createUser(role) {
  const owner = await apiSession(OWNER.email, OWNER.password);
  const email = `${role}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const added = await owner.call('POST', '/api/members', { email, role });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const user = await apiSession(email, added.body.one_time_password);
  const changed = await user.call('POST', '/api/auth/password', { current_password: added.body.one_time_password, new_password: PASSWORD });
  assert.equal(changed.status, 204, JSON.stringify(changed.body));
  return { email, password: PASSWORD };
}

export const find = {
  error: (page) => page.locator('[role=alert]'),
  secret: (page) => page.locator('#new-secret'),
};

export const act = {
  async signIn(page, { email, password }) {
    await page.goto(`${BASE_URL}/login`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.click('#sign-in');
  },
};

export const expect = {
  async url(page, path) {
    await page.waitForURL((url) => new URL(url).pathname === path, { timeout: 15000 });
  },
  async visible(locator, what) {
    await locator.first().waitFor({ state: 'visible', timeout: 15000 }).catch(() => {
      throw new Error(`expected to see ${what}`);
    });
  },
  async hydrated(page) {
    // Leptos removes nothing visible on hydration; the wasm module being instantiated is the signal.
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/pkg/console.wasm')), null, { timeout: 15000 });
    await page.waitForTimeout(300);
  },
};
