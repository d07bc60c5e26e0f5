// Every error code the API documents has a plain sentence in zh-CN and in en in the web app
// (web/src/i18n/errors.json), so no code or raw message is ever what a user reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, startServer } from '../api/harness.mjs';

test('every documented API error code has a zh-CN and an en sentence', async () => {
  const server = await startServer();
  try {
    const doc = (await server.call('GET', '/api/openapi.json')).body;
    const codes = new Set();
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        for (const code of op['x-error-codes'] ?? []) codes.add(code);
        for (const r of Object.values(op.responses ?? {})) {
          const listed = /\(([a-z_, ]+)\)/.exec(r.description ?? '');
          if (listed) for (const code of listed[1].split(',')) codes.add(code.trim());
        }
      }
    }
    assert.ok(codes.size > 50, `expected the API to document its codes, found ${codes.size}`);
    const texts = JSON.parse(readFileSync(join(root, 'web/src/i18n/errors.json'), 'utf8'));
    const missing = [...codes].filter((c) => !texts[c]?.['zh-CN'] || !texts[c]?.en);
    assert.deepEqual(missing, [], `codes without a sentence: ${missing.join(', ')}`);
    for (const [code, t] of Object.entries(texts)) {
      assert.match(t['zh-CN'], /[\u4e00-\u9fff]/, `${code}: the zh-CN text is Chinese`);
      assert.doesNotMatch(t.en, /[\u4e00-\u9fff]/, `${code}: the en text is English`);
    }
  } finally {
    await server.stop();
  }
});
