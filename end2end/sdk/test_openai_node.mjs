// SDK conformance, Node: the official `openai` npm package pointed at a running Palisade.
//
// Owns: chat, streaming chat, tool calls, embeddings and the blocked-request errors as the SDK sees them.
// Must not: create users or keys (end2end/sdk/run.sh does, through the API). Run by run.sh; exits non-zero
// when a check fails. Environment as in test_openai_python.py.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';

const BASE_URL = process.env.PALISADE_BASE_URL;
const client = new OpenAI({ baseURL: `${BASE_URL}/v1`, apiKey: process.env.PALISADE_KEY, maxRetries: 0, timeout: 30000 });

/** Applies an autonomy level with a cookie session, as an operator script would. */
async function applyLevel(level) {
  const login = await fetch(`${BASE_URL}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: process.env.PALISADE_EMAIL, password: process.env.PALISADE_PASSWORD }),
  });
  assert.equal(login.status, 200);
  const { csrf_token: csrf } = await login.json();
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('palisade_session=')).split(';')[0];
  const applied = await fetch(`${BASE_URL}/api/workspace/firewall/autonomy`, {
    method: 'POST', headers: { cookie, 'x-palisade-csrf': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ level }),
  });
  assert.equal(applied.status, 200, await applied.text());
}

const tests = {
  async chat() {
    const reply = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'REPLY:hello from node' }] });
    assert.equal(reply.object, 'chat.completion');
    assert.equal(reply.choices[0].message.role, 'assistant');
    assert.equal(reply.choices[0].message.content, 'hello from node');
    assert.equal(reply.choices[0].finish_reason, 'stop');
    assert.ok(reply.usage.total_tokens > 0);
  },

  async chatWithResponseHeaders() {
    const { data, response } = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.ok(response.headers.get('x-palisade-overhead-ms') !== null);
    assert.ok(data.choices[0].message.content);
  },

  async streamingChat() {
    const stream = await client.chat.completions.create({
      model: 'mock/echo', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'REPLY:a streamed answer that spans several chunks' }],
    });
    let text = '', finish = null, chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      assert.equal(chunk.object, 'chat.completion.chunk');
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        finish = choice.finish_reason ?? finish;
      }
    }
    assert.equal(text, 'a streamed answer that spans several chunks');
    assert.ok(chunks > 2, `${chunks} chunks`);
    assert.equal(finish, 'stop');
  },

  async streamHelperFinalMessage() {
    // The SDK's higher-level helper accumulates deltas itself; it must accept our chunks as they are.
    const runner = client.chat.completions.stream({ model: 'mock/echo', messages: [{ role: 'user', content: 'REPLY:accumulated' }] });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0].message.content, 'accumulated');
  },

  async toolCalls() {
    const reply = await client.chat.completions.create({
      model: 'mock/echo',
      messages: [{ role: 'user', content: 'What is the weather?\nTOOLCALL:get_weather:{"city":"Paris"}' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    const choice = reply.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    const call = choice.message.tool_calls[0];
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  },

  async streamingToolCalls() {
    const runner = client.chat.completions.stream({ model: 'mock/echo', messages: [{ role: 'user', content: 'TOOLCALL:get_weather:{"city":"Lyon"}' }] });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0].message.tool_calls[0];
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Lyon' });
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
  },

  async embeddings() {
    const result = await client.embeddings.create({ model: 'mock/embed', input: ['first text', 'second text'] });
    assert.deepEqual(result.data.map((item) => item.index), [0, 1]);
    assert.ok(result.data[0].embedding.length > 0 && result.data[0].embedding.every((x) => typeof x === 'number'));
    assert.notDeepEqual(result.data[0].embedding, result.data[1].embedding);
    // The SDK asks for base64 unless told otherwise; floats must decode to the same vector.
    const floats = await client.embeddings.create({ model: 'mock/embed', input: 'first text', encoding_format: 'float' });
    assert.equal(floats.data[0].embedding.length, result.data[0].embedding.length);
    floats.data[0].embedding.forEach((x, i) => assert.ok(Math.abs(x - result.data[0].embedding[i]) < 1e-6, `dimension ${i}`));
  },

  async modelsAndUnknownModel() {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes('mock/echo') && ids.includes('mock/embed'), ids.join(','));
    await assert.rejects(
      client.chat.completions.create({ model: 'nope/nothing', messages: [{ role: 'user', content: 'hi' }] }),
      (err) => err instanceof OpenAI.NotFoundError && err.code === 'model_not_found',
    );
  },

  async badKey() {
    const bad = new OpenAI({ baseURL: `${BASE_URL}/v1`, apiKey: `sk-pal-${'x'.repeat(32)}`, maxRetries: 0 });
    await assert.rejects(bad.models.list(), (err) => err instanceof OpenAI.AuthenticationError && err.code === 'invalid_api_key');
  },

  async blockedUnderTight() {
    await applyLevel('tight');
    const token = `ghp_${'a1B2c3D4e5'.repeat(4).slice(0, 36)}`;
    const badRequest = (code) => (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.status, 400);
      assert.equal(err.code, code);
      assert.equal(err.type, 'invalid_request_error');
      return true;
    };
    await assert.rejects(
      client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: `my token is ${token}` }] }),
      badRequest('guardrail_blocked'),
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'TOOLCALL:bash:{"command":"rm -rf /"}' }] }),
      badRequest('firewall_blocked'),
    );
  },
};

await applyLevel('balanced');
let failed = 0;
try {
  for (const [name, test] of Object.entries(tests)) {
    try {
      await test();
      console.log(`  ok    node ${name}`);
    } catch (err) {
      failed += 1;
      console.log(`  FAIL  node ${name}: ${err?.message ?? err}`);
    }
  }
} finally {
  await applyLevel('balanced');
}
const total = Object.keys(tests).length;
const { version } = JSON.parse(readFileSync(new URL('../node_modules/openai/package.json', import.meta.url), 'utf8'));
console.log(`node openai ${version}: ${total - failed}/${total} passed`);
process.exit(failed ? 1 : 0);
