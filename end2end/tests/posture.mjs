// Issue 4 journeys: the autonomy switch with simulate, apply, and undo from Audit.
import assert from 'node:assert/strict';
import { act, BASE_URL, createUser, expect } from '../support.mjs';

export async function memberSeesPostureAndSimulateButNoApply({ page, shot }) {
  const member = await createUser('member');
  await act.signIn(page, member);
  await expect.url(page, '/posture');
  await expect.hydrated(page);
  await expect.visible(page.locator('[data-level="balanced"]'), 'the balanced level card');
  assert.equal(await page.locator('[data-apply]').count(), 0, 'no Apply for Members');
  await shot('member-posture');
  await page.click('[data-level="tight"] a:has-text("Simulate")');
  await expect.url(page, '/posture/simulate');
  await expect.visible(page.locator('#simulation'), 'the simulation result');
  assert.ok((await page.textContent('#simulation')).includes('autonomy-tight'), 'the diff names the level policy');
  assert.equal(await page.locator('#apply-simulated').count(), 0, 'no Apply on Simulate for Members');
  await shot('member-simulate');
}

export async function developerAppliesBalancedThenUndoesFromAudit({ page, shot }) {
  const developer = await createUser('developer');
  await act.signIn(page, developer);
  await expect.url(page, '/posture');
  await expect.hydrated(page);
  const before = (await page.textContent('#current-level')).trim();
  await page.click('[data-apply="balanced"]');
  await page.click('[data-confirm-apply="balanced"]');
  await page.waitForFunction(() => document.querySelector('#current-level')?.textContent.trim() === 'balanced', null, { timeout: 15000 });
  await shot('applied-balanced');
  await page.click('a[href="/audit"]');
  await expect.url(page, '/audit');
  const row = page.locator('tr[data-verb="firewall_autonomy_applied"]').first();
  await expect.visible(row, 'the autonomy audit row');
  await shot('audit-row');
  await row.locator('button[data-undo]').click();
  await expect.visible(page.locator('#undo-done'), 'the undo confirmation');
  await expect.visible(page.locator('tr[data-verb="firewall_autonomy_undone"]'), 'the undo audit row');
  await page.goto(`${BASE_URL}/posture`);
  await expect.visible(page.locator('#current-level'), 'the level badge');
  assert.equal((await page.textContent('#current-level')).trim(), before, 'the previous posture is back');
  await shot('after-undo');
}

export async function developerBuildsAPiiGuardrailAndTestsIt({ page, shot }) {
  const developer = await createUser('developer');
  await act.signIn(page, developer);
  await expect.url(page, '/posture');
  await page.click('a[href="/guardrails"]');
  await expect.url(page, '/guardrails');
  await page.click('#new-guardrail');
  await expect.url(page, '/guardrails/new');
  await expect.hydrated(page);
  await page.fill('#guardrail-name', `pii-${Date.now()}`);
  // A broken rule first: the editor names the field at fault.
  await page.fill('#rules-json', '[{"type":"pii","stage":"both","action":"mask","config":{"entities":["emails"]}}]');
  await page.click('#save-guardrail');
  await expect.visible(page.locator('#rule-errors'), 'the inline validation errors');
  assert.match(await page.textContent('#rule-errors'), /rules\[0\]\.config\.entities/);
  await shot('validation-error');
  await page.fill('#rules-json', '[{"label":"PII","type":"pii","stage":"both","action":"mask","config":{"entities":["email"]}}]');
  await page.click('#save-guardrail');
  await page.waitForURL((url) => /\/guardrails\/\d+$/.test(new URL(url).pathname), { timeout: 15000 });
  await expect.hydrated(page);
  await page.fill('#test-text', 'Please email jane.doe@acme-corp.com about the invoice.');
  await page.click('#run-test');
  await expect.visible(page.locator('#test-output'), 'the test output');
  const output = await page.textContent('#test-output');
  assert.ok(output.includes('[EMAIL]'), `masked output: ${output}`);
  assert.ok(!output.includes('jane.doe@acme-corp.com'), 'the email is gone');
  await shot('test-tab');
}

export async function developerWritesAPolicyAndTriesItInTheSandbox({ page, shot }) {
  const developer = await createUser('developer');
  await act.signIn(page, developer);
  await expect.url(page, '/posture');
  await page.goto(`${BASE_URL}/firewall/policies/new`);
  await expect.hydrated(page);
  await page.fill('#policy-name', `ops-${Date.now()}`);
  await page.click('#save-policy');
  await page.waitForURL((url) => /\/firewall\/policies\/\d+$/.test(new URL(url).pathname), { timeout: 15000 });
  await expect.hydrated(page);
  await page.fill('#sandbox-tool', 'shell.exec');
  await page.fill('#sandbox-arguments', '{"command": "rm -rf /var/lib/app"}');
  await page.click('#run-sandbox');
  await expect.visible(page.locator('#sandbox-result'), 'the sandbox result');
  assert.equal((await page.textContent('#sandbox-verdict')).trim(), 'deny');
  assert.ok((await page.textContent('#sandbox-result')).includes('no recursive deletes'), 'the deciding rule is named');
  await shot('sandbox-deny');
  // Shadow mode turns the deny into an audit without changing the rule.
  await page.check('#shadow-toggle');
  await page.click('#save-policy');
  await expect.visible(page.locator('#saved'), 'the save confirmation');
  await page.click('#run-sandbox');
  await page.waitForFunction(() => document.querySelector('#sandbox-verdict')?.textContent.trim() === 'audit', null, { timeout: 15000 });
  await shot('sandbox-shadow');
}
