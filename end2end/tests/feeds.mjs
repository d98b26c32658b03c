// Issue 5 journeys: relay traffic shows up on Events, Runs, Matches and Discovered tools, live.
import assert from 'node:assert/strict';
import { act, apiSession, BASE_URL, createUser, expect } from '../support.mjs';

/** Sends one chat completion through /v1 with the given prompt and run id; returns the response body. */
async function chat(secret, prompt, runId) {
  const res = await fetch(`${BASE_URL}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'x-palisade-run-id': runId, 'x-palisade-step-id': `step-${Date.now()}` },
    body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: prompt }] }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, `chat: ${JSON.stringify(body)}`);
  return body;
}

/** A developer with the balanced posture applied and a relay key, prepared through the API. */
async function developerWithKey() {
  const developer = await createUser('developer');
  const api = await apiSession(developer.email, developer.password);
  const applied = await api.call('POST', '/api/workspace/firewall/autonomy', { level: 'balanced' });
  assert.equal(applied.status, 200, JSON.stringify(applied.body));
  const key = await api.call('POST', '/api/keys', { name: `feeds-${Date.now()}` });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  return { developer, secret: key.body.secret };
}

export async function developerSeesRelayTrafficOnEventsRunsAndMatches({ page, shot }) {
  const { developer, secret } = await developerWithKey();
  const runId = `run-${Date.now()}`;
  const answer = await chat(secret, 'Please email jane.doe@acme-corp.com the listing.\nTOOLCALL:bash:{"command":"ls"}', runId);
  assert.equal(answer.choices[0].message.tool_calls?.[0]?.function?.name, 'bash', 'the mock answered with the tool call');

  await act.signIn(page, developer);
  await expect.url(page, '/posture');
  await expect.hydrated(page);
  await page.click('a[href="/events"]');
  await expect.url(page, '/events');
  await expect.hydrated(page);
  const row = page.locator(`tr[data-tool="bash"]:has(a[href="/runs/${runId}"])`);
  await expect.visible(row, 'the bash event of this run');
  assert.ok((await row.locator('[data-verdict]').getAttribute('data-verdict')).length > 0, 'a verdict chip');
  const id = await row.getAttribute('data-event-id');
  await row.locator('[data-details-toggle]').click();
  const drawer = page.locator(`tr[data-details="${id}"]`);
  await expect.visible(drawer, 'the details drawer');
  assert.ok((await drawer.textContent()).includes(runId), 'the drawer shows the lineage');
  assert.ok((await drawer.textContent()).includes('command'), 'the drawer shows the arguments summary');
  await shot('events');

  // Live: a new call appears without a reload (the page refetches every few seconds).
  const liveTool = `grep_${Date.now() % 100000}`;
  await chat(secret, `TOOLCALL:${liveTool}:{"pattern":"TODO"}`, runId);
  await page.locator(`tr[data-tool="${liveTool}"]`).waitFor({ state: 'visible', timeout: 20000 });
  assert.ok(await drawer.isVisible(), 'the open drawer survives the live refresh');
  await shot('events-live');

  await page.click(`tr[data-tool="bash"] a[href="/runs/${runId}"]`);
  await expect.url(page, `/runs/${runId}`);
  await expect.visible(page.locator('#trace li[data-request-id]'), 'the trace steps');
  assert.equal(await page.locator('#trace li[data-request-id]').count(), 2, 'two LLM calls in the run');
  await shot('trace');

  await page.click('a[href="/runs"]');
  await expect.url(page, '/runs');
  await expect.visible(page.locator(`tr[data-run-id="${runId}"]`), 'the run row');
  await shot('runs');

  await page.click('a[href="/matches"]');
  await expect.url(page, '/matches');
  const match = page.locator('#matches-table tr[data-rule-type="pii"]').first();
  await expect.visible(match, 'the PII match');
  // The raw text is stored only when the guardrail logs raw content; the column is there for Developers.
  assert.equal(await page.locator('#matches-table th:has-text("Matched")').count(), 1, 'a Matched column for Developers');
  await shot('matches');

  await page.click('a[href="/firewall/discovered"]');
  await expect.url(page, '/firewall/discovered');
  await expect.visible(page.locator('tr[data-tool="bash"]'), 'bash among the discovered tools');
  await shot('discovered');
}

export async function memberSeesMatchesWithoutRawTextAndNoEvents({ page, shot }) {
  const { secret } = await developerWithKey();
  await chat(secret, 'Reach me at member.check@acme-corp.com', `run-m-${Date.now()}`);
  const member = await createUser('member');
  await act.signIn(page, member);
  await expect.url(page, '/posture');
  await expect.hydrated(page);
  assert.equal(await page.locator('nav a[href="/events"]').count(), 0, 'no Events in the nav for Members');
  assert.equal(await page.locator('nav a[href="/runs"]').count(), 0, 'no Runs in the nav for Members');
  await page.click('a[href="/matches"]');
  await expect.url(page, '/matches');
  await expect.visible(page.locator('#matches-table tr[data-rule-type="pii"]'), 'the PII match');
  assert.ok(!(await page.textContent('#matches-table')).includes('member.check@acme-corp.com'), 'no matched text for Members');
  assert.equal(await page.locator('#matches-table th:has-text("Matched")').count(), 0, 'no Matched column for Members');
  await shot('member-matches');
  await page.goto(`${BASE_URL}/events`);
  await expect.visible(page.locator('#events-forbidden'), 'the Developer-only notice');
  assert.equal(await page.locator('#events-table').count(), 0, 'no events for Members');
}
