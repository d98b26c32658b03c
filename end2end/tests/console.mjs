// Console journeys of the second build: the per-type rule forms, rule reordering, the approvals queue,
// false-positive marking on Matches, and the Settings page.
import assert from 'node:assert/strict';
import { act, apiSession, BASE_URL, createUser, expect } from '../support.mjs';

/** POSTs a chat completion through /v1; returns the status and the parsed body. */
async function chat(secret, prompt, headers = {}) {
  const res = await fetch(`${BASE_URL}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: prompt }] }),
  });
  return { status: res.status, body: await res.json() };
}

async function signedIn(page, role) {
  const user = await createUser(role);
  await act.signIn(page, user);
  await expect.url(page, '/posture');
  return { user, api: await apiSession(user.email, user.password) };
}

export async function developerBuildsAGuardrailWithThePiiForm({ page, shot }) {
  await signedIn(page, 'developer');
  await page.goto(`${BASE_URL}/guardrails/new`);
  await expect.hydrated(page);
  await page.fill('#guardrail-name', `pii-form-${Date.now()}`);
  // Clear the starter rules, then add one pii rule and tick `email` in its entity picker.
  while (await page.locator('[data-rule-index="0"] [data-action="remove-rule"]').count()) {
    await page.click('[data-rule-index="0"] [data-action="remove-rule"]');
  }
  await page.selectOption('select#new-rule-type', 'pii');
  await page.click('#add-rule');
  await page.check('[data-rule-index="0"] input[data-entity="email"]');
  assert.match(await page.inputValue('#rules-json'), /"email"/, 'the form writes the JSON that Save sends');
  await shot('pii-form');
  await page.click('#save-guardrail');
  await page.waitForURL((url) => /\/guardrails\/\d+$/.test(new URL(url).pathname), { timeout: 15000 });
  await expect.hydrated(page);
  await page.fill('#test-text', 'Ping ops@northwind-traders.com when done.');
  await page.click('#run-test');
  await expect.visible(page.locator('#test-output'), 'the test output');
  assert.ok((await page.textContent('#test-output')).includes('[EMAIL]'), 'the saved pii rule masks the email');
  await shot('pii-form-tested');
}

export async function developerMovesAPolicyRuleUpAndSaves({ page, shot }) {
  await signedIn(page, 'developer');
  await page.goto(`${BASE_URL}/firewall/policies/new`);
  await expect.hydrated(page);
  await page.fill('#policy-name', `reorder-${Date.now()}`);
  const firstLabel = page.locator('[data-rule-index="0"] input[data-field="label"]');
  const second = await page.inputValue('[data-rule-index="1"] input[data-field="label"]');
  await page.click('[data-rule-index="1"] [data-action="move-up"]');
  assert.equal(await firstLabel.inputValue(), second, 'the second rule is now first');
  assert.equal(await page.inputValue('[data-rule-index="0"] input[data-field="priority"]'), '10', 'priorities renumbered');
  await shot('moved-up');
  await page.click('#save-policy');
  await page.waitForURL((url) => /\/firewall\/policies\/\d+$/.test(new URL(url).pathname), { timeout: 15000 });
  await expect.hydrated(page);
  await expect.visible(firstLabel, 'the saved rule table');
  assert.equal(await firstLabel.inputValue(), second, 'the order survived the save');
  await shot('saved-order');
}

export async function developerApprovesAHeldCallAndTheRetryPasses({ page, shot }) {
  const { api } = await signedIn(page, 'developer');
  const policy = await api.call('POST', '/api/workspace/firewall/policies', {
    name: `hold-${Date.now()}`, default_verdict: 'allow',
    rules: [{ priority: 10, stage: '', tool_name_glob: 'db.write', verdict: 'pending_approval', label: 'hold db writes' }],
  });
  assert.equal(policy.status, 201, JSON.stringify(policy.body));
  const key = await api.call('POST', '/api/keys', { name: `held-${Date.now()}`, firewall_policy_id: policy.body.id });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  const prompt = `TOOLCALL:db.write:{"table":"orders","n":${Date.now()}}`;
  const held = await chat(key.body.secret, prompt);
  assert.equal(held.status, 400, JSON.stringify(held.body));
  assert.equal(held.body.error.code, 'firewall_approval_pending');
  const [approvalId] = held.body.error.details.approval_ids;
  assert.match(approvalId, /^[0-9a-f]{24}$/);

  await page.goto(`${BASE_URL}/firewall/approvals`);
  await expect.hydrated(page);
  const row = page.locator(`tr[data-approval-id="${approvalId}"]`);
  await expect.visible(row, 'the held call in the queue');
  await shot('queue');
  await page.fill('#decision-note', 'reviewed: fine');
  await row.locator('button.approve').click();
  await expect.visible(page.locator('#decided'), 'the decision notice');
  await shot('approved');

  const retried = await chat(key.body.secret, prompt, { 'x-palisade-approval': approvalId });
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.choices[0].message.tool_calls[0].function.name, 'db.write');
  const again = await chat(key.body.secret, prompt, { 'x-palisade-approval': approvalId });
  assert.equal(again.status, 400, 'an approval is consumed by one retry');
}

export async function adminMarksAFalsePositiveOnMatches({ page, shot }) {
  const { api } = await signedIn(page, 'admin');
  const guardrail = await api.call('POST', '/api/guardrails', {
    name: `fp-${Date.now()}`, rules: [{ label: 'PII', type: 'pii', stage: 'input', action: 'mask', config: { entities: ['email'] } }],
  });
  assert.equal(guardrail.status, 201, JSON.stringify(guardrail.body));
  const key = await api.call('POST', '/api/keys', { name: `fp-${Date.now()}`, guardrail_id: guardrail.body.id });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  const runId = `fp-run-${Date.now()}`;
  const address = `support-${Date.now()}@northwind-traders.com`;
  const first = await chat(key.body.secret, `Write to ${address}`, { 'x-palisade-run-id': runId });
  assert.ok(first.body.choices[0].message.content.includes('[EMAIL]'), 'masked before marking');

  await page.goto(`${BASE_URL}/matches`);
  await expect.hydrated(page);
  const row = page.locator(`tr[data-match-id]:has(a[href="/runs/${runId}"])`).first();
  await expect.visible(row, 'the email match of this run');
  await page.fill('#fp-note', 'our own support address');
  await row.locator('button.mark-fp').click();
  await expect.visible(page.locator('#fp-marked'), 'the marked notice');
  await expect.visible(page.locator('#suppressions-table tr[data-suppression-id]'), 'the new suppression');
  assert.ok((await page.textContent('#suppressions-table')).includes('our own support address'), 'the note is listed');
  await shot('marked');

  const after = await chat(key.body.secret, `Write to ${address}`);
  assert.ok(after.body.choices[0].message.content.includes(address), 'the suppressed value now passes unmasked');
  const other = await chat(key.body.secret, 'Write to someone.else@northwind-traders.com');
  assert.ok(other.body.choices[0].message.content.includes('[EMAIL]'), 'other emails are still masked');
}

export async function developerEditsPostureSettingsAndSeesFieldErrors({ page, shot }) {
  await signedIn(page, 'developer');
  await page.goto(`${BASE_URL}/settings`);
  await expect.hydrated(page);
  await page.fill('#webhook-url', 'https://localhost/hook');
  await page.click('#save-posture-settings');
  await expect.visible(page.locator('#posture-settings-form .field-error[data-field="approval_webhook_url"]'), 'the webhook field error');
  await shot('webhook-refused');
  assert.equal(await page.locator('#save-workspace-settings').count(), 0, 'Developers cannot save workspace settings');
  assert.equal(await page.locator('#add-provider').count(), 0, 'nor manage providers');
}
