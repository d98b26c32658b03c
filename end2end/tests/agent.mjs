// The journey users came for (issue 5): tighten the posture in the console, watch an agent on the official
// OpenAI SDK get its email masked and its `rm -rf /` refused, find both in the feeds, then undo from Audit
// and see the same call go through as an audited call.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { act, apiSession, BASE_URL, createUser, expect } from '../support.mjs';

const EMAIL = 'jane.doe@acme-corp.com';
const DESTRUCTIVE = 'TOOLCALL:bash:{"command":"rm -rf /"}';

/** A developer whose workspace starts from a known posture: one audit-everything policy as the default. */
async function developerWithAuditPosture() {
  const developer = await createUser('developer');
  const api = await apiSession(developer.email, developer.password);
  const policy = await api.call('POST', '/api/workspace/firewall/policies', { name: `audit-all-${Date.now()}`, default_verdict: 'audit', rules: [] });
  assert.equal(policy.status, 201, JSON.stringify(policy.body));
  const settings = await api.call('PATCH', '/api/workspace/settings', { default_firewall_policy_id: policy.body.id, default_guardrail_id: null, observe_mode: false });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  const key = await api.call('POST', '/api/keys', { name: `agent-${Date.now()}` });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  return { developer, secret: key.body.secret };
}

export async function tightMasksAndRefusesThenUndoFromAuditLetsTheCallThroughAudited({ page, shot }) {
  const { developer, secret } = await developerWithAuditPosture();
  const runId = `agent-run-${Date.now()}`;
  const client = new OpenAI({ baseURL: `${BASE_URL}/v1`, apiKey: secret, maxRetries: 0, timeout: 30000, defaultHeaders: { 'x-palisade-run-id': runId } });

  // 1. Apply `tight` in the console.
  await act.signIn(page, developer);
  await expect.url(page, '/posture');
  await expect.hydrated(page);
  await page.click('[data-apply="tight"]');
  await page.click('[data-confirm-apply="tight"]');
  await page.waitForFunction(() => document.querySelector('#current-level')?.textContent.trim() === 'tight', null, { timeout: 15000 });
  await shot('tight-applied');

  // 2. The agent's prompt reaches the model with the email masked (the mock echoes what it received).
  const echoed = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: `Send the report to ${EMAIL} today.` }] });
  const content = echoed.choices[0].message.content;
  assert.ok(content.includes('[EMAIL]') && !content.includes(EMAIL), `the model saw a masked prompt: ${content}`);

  // 3. The destructive tool call the model emits is refused: the SDK raises its usual BadRequestError.
  const refused = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: DESTRUCTIVE }] }).then(
    () => assert.fail('tight must refuse rm -rf /'),
    (err) => err,
  );
  assert.ok(refused instanceof OpenAI.BadRequestError, `a BadRequestError, got ${refused?.constructor?.name}`);
  assert.equal(refused.status, 400);
  assert.equal(refused.code, 'firewall_blocked');

  // 4. Both show up in the console: the deny event on Events, the email match on Matches.
  await page.goto(`${BASE_URL}/events`);
  await expect.hydrated(page);
  const denied = page.locator(`tr[data-tool="bash"]:has(a[href="/runs/${runId}"])`).first();
  await expect.visible(denied, 'the bash event of this run');
  assert.equal(await denied.locator('[data-verdict]').first().getAttribute('data-verdict'), 'deny');
  await shot('event-denied');
  await page.goto(`${BASE_URL}/matches`);
  await expect.hydrated(page);
  const match = page.locator(`tr[data-match-id]:has(a[href="/runs/${runId}"])`).first();
  await expect.visible(match, 'the email match of this run');
  assert.ok((await match.textContent()).includes('email'), 'the match names the email entity');
  await shot('match-email');

  // 5. Undo the tight apply from Audit: the audit-everything posture is back.
  await page.goto(`${BASE_URL}/audit`);
  await expect.hydrated(page);
  const applied = page.locator('tr[data-verb="firewall_autonomy_applied"]').first();
  await expect.visible(applied, 'the autonomy audit row');
  await applied.locator('button[data-undo]').click();
  await expect.visible(page.locator('#undo-done'), 'the undo confirmation');
  await shot('undone');

  // 6. The same call now goes through, and is recorded as an audited call.
  const allowed = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: DESTRUCTIVE }] });
  assert.equal(allowed.choices[0].message.tool_calls?.[0]?.function?.name, 'bash', 'the tool call reaches the agent');
  await page.goto(`${BASE_URL}/events`);
  await expect.hydrated(page);
  const audited = page.locator(`tr[data-tool="bash"]:has(a[href="/runs/${runId}"]):has([data-verdict="audit"])`).first();
  await expect.visible(audited, 'the audited bash event of this run');
  await shot('event-audited');
}
