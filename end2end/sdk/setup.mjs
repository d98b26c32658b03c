// Prepares the SDK conformance run through the REST API: a fresh Developer (created by the bootstrap Owner,
// E2E_OWNER_EMAIL / E2E_OWNER_PASSWORD, defaults as in .ci/test.sh) and a relay key of theirs.
// Must not touch the database or the CLI: it is what an operator script would do. Prints shell assignments.
import assert from 'node:assert/strict';
import { apiSession, createUser } from '../support.mjs';

const developer = await createUser('developer');
const api = await apiSession(developer.email, developer.password);
const key = await api.call('POST', '/api/keys', { name: `sdk-${Date.now()}` });
assert.equal(key.status, 201, JSON.stringify(key.body));
assert.ok(key.body.secret.startsWith('sk-pal-'), 'a relay key');
const quote = (value) => `'${String(value).replaceAll("'", "'\\''")}'`;
console.log(`PALISADE_EMAIL=${quote(developer.email)}`);
console.log(`PALISADE_PASSWORD=${quote(developer.password)}`);
console.log(`PALISADE_KEY=${quote(key.body.secret)}`);
