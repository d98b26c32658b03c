// Issue 2 journeys: sign-in, the one-time key secret, role-gated key creation, the generic login error.
import assert from 'node:assert/strict';
import { act, apiSession, BASE_URL, createUser, expect, find } from '../support.mjs';

export async function developerCreatesAKeyAndSeesTheSecretOnce({ page, shot }) {
  const developer = await createUser('developer');
  await act.signIn(page, developer);
  await expect.url(page, '/posture');
  await page.click('a[href="/keys"]');
  await expect.url(page, '/keys');
  await expect.hydrated(page);
  assert.equal((await page.textContent('#role-badge')).trim(), 'developer');
  await page.fill('#key-name', 'e2e-agent');
  await page.fill('#key-env', 'staging');
  await page.click('#create-key');
  await expect.visible(find.secret(page), 'the new secret');
  const secret = (await find.secret(page).textContent()).trim();
  assert.match(secret, /^sk-pal-[0-9A-Za-z]{32}$/);
  assert.ok(await page.isVisible('[data-key-name="e2e-agent"]'), 'the new key is listed without a reload');
  await shot('secret-once');
  // The newcomer's check: the key lists mock models through the OpenAI-compatible API.
  const models = await (await fetch(`${BASE_URL}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })).json();
  assert.deepEqual(models.data.map((m) => m.id), ['mock/echo', 'mock/embed']);
  await page.reload();
  await expect.visible(page.locator('[data-key-name="e2e-agent"]'), 'the key row after reload');
  assert.equal(await find.secret(page).count(), 0, 'the secret is never shown again');
  assert.ok(!(await page.content()).includes(secret), 'the secret is not in the page after reload');
  await shot('after-reload');
}

export async function memberSeesNoKeyCreationAndTheApiRefusesIt({ page, shot }) {
  const member = await createUser('member');
  await act.signIn(page, member);
  await expect.url(page, '/posture');
  await page.goto(`${BASE_URL}/keys`);
  await expect.url(page, '/keys');
  await expect.hydrated(page);
  assert.equal((await page.textContent('#role-badge')).trim(), 'member');
  assert.equal(await page.locator('#create-key-form').count(), 0, 'no create form for Members');
  await shot('member-keys');
  const api = await apiSession(member.email, member.password);
  const refused = await api.call('POST', '/api/keys', { name: 'sneaky' });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 'forbidden');
}

export async function wrongPasswordShowsAClearError({ page, shot }) {
  await page.goto(`${BASE_URL}/login`);
  await expect.hydrated(page);
  await page.fill('#email', 'owner@example.com');
  await page.fill('#password', 'definitely-not-it');
  await page.click('#sign-in');
  await expect.visible(find.error(page), 'the login error');
  assert.equal((await find.error(page).textContent()).trim(), 'invalid email or password');
  assert.equal(new URL(page.url()).pathname, '/login');
  await shot('wrong-password');
}

export async function anonymousVisitorsAreSentToLogin({ page }) {
  await page.goto(`${BASE_URL}/members`);
  await expect.url(page, '/login');
}

export async function ownerManagesMembersAndSignsOut({ page, shot }) {
  await act.signIn(page, { email: 'owner@example.com', password: 'owner-password-123' });
  await expect.url(page, '/posture');
  await expect.hydrated(page);
  await page.click('a[href="/members"]');
  await expect.url(page, '/members');
  const email = `new-${Date.now()}@example.com`;
  await page.fill('#member-email', email);
  await page.selectOption('#member-role', 'developer');
  await page.click('#add-member');
  await expect.visible(page.locator('#one-time-password'), 'the one-time password');
  await expect.visible(page.locator(`text=${email}`), 'the new member in the table');
  await shot('members');
  await page.click('#sign-out');
  await expect.url(page, '/login');
}
