// §6: the operator's directory of third-party links (with the disclaimer), and outgoing webhooks:
// scoped to chosen events, signed, retried, revocable, audited, never to private addresses unless
// the deployment allows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { startServer, expectError } from './harness.mjs';

let s;
let op;
let boss;
let receiver;
let receiverUrl;
const received = [];
let failNext = 0;

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (failNext > 0) {
        failNext -= 1;
        res.writeHead(500).end('down');
        return;
      }
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/hooks`;
  s = await startServer({ env: { KELU_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: 'true', KELU_WEBHOOKS_ALLOW_HTTP: 'true', KELU_WEBHOOKS_RETRY_BASE_SECONDS: '1' } });
  op = await s.operatorToken();
  boss = await s.loginAs('boss');
});
after(async () => { await s.stop(); receiver.close(); });

async function waitFor(predicate, ms = 10000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const found = received.filter(predicate);
    if (found.length) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no delivery; have ${JSON.stringify(received.map((d) => d.headers['x-kelu-event']))}`);
}

test('the operator curates third-party links; tenants see them with the disclaimer', async () => {
  expectError(assert, await s.call('POST', '/api/v1/operator/integrations', { token: op, body: { name: 'x', url: 'ftp://x.example' } }), 422, 'validation_failed');
  const added = await s.call('POST', '/api/v1/operator/integrations', { token: op, body: { name: '企业微信', url: 'https://work.weixin.qq.com', category: '办公', description: '消息与通讯录' } });
  assert.equal(added.status, 201, added.text);
  const member = await s.loginAs('member');
  const dir = await s.call('GET', '/api/v1/integrations', { token: member });
  assert.equal(dir.status, 200);
  assert.match(dir.body.disclaimer, /第六条/);
  assert.ok(dir.body.items.some((i) => i.name === '企业微信'));
  assert.equal((await s.call('DELETE', `/api/v1/operator/integrations/${added.body.id}`, { token: op })).status, 204);
  assert.equal((await s.call('GET', '/api/v1/integrations', { token: member })).body.items.length, 0);
  const audit = await s.call('GET', '/api/v1/operator/audit-log', { token: op });
  assert.ok(audit.body.items.some((a) => a.action === 'integration.add'));
});

test('a webhook gets the events it chose, signed; failures are retried; revoking stops it', async () => {
  const member = await s.loginAs('member');
  expectError(assert, await s.call('POST', '/api/v1/webhooks', { token: member, body: { url: receiverUrl, events: ['customer.create'] } }), 403, 'forbidden');
  expectError(assert, await s.call('POST', '/api/v1/webhooks', { token: boss, body: { url: receiverUrl, events: ['user.password'] } }), 422, 'validation_failed');
  const hook = await s.call('POST', '/api/v1/webhooks', { token: boss, body: { url: receiverUrl, events: ['customer.create'] } });
  assert.equal(hook.status, 201, hook.text);
  assert.match(hook.body.secret, /^whsec_/);
  assert.equal((await s.call('GET', '/api/v1/webhooks', { token: boss })).body.items[0].secret, undefined);

  const c = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '钩子客户甲' } });
  assert.equal(c.status, 201, c.text);
  const [d] = await waitFor((x) => x.body.includes('钩子客户甲'));
  assert.equal(d.headers['x-kelu-event'], 'customer.create');
  const expected = 'sha256=' + createHmac('sha256', hook.body.secret).update(`${d.headers['x-kelu-timestamp']}.${d.body}`).digest('hex');
  assert.equal(d.headers['x-kelu-signature'], expected);
  const payload = JSON.parse(d.body);
  assert.equal(payload.event, 'customer.create');
  assert.equal(payload.entity_id, String(c.body.id));

  // Not subscribed: an update goes nowhere.
  await s.call('PATCH', `/api/v1/customers/${c.body.id}`, { token: boss, body: { notes: '改' } });
  // The receiver fails once: the delivery is tried again.
  failNext = 1;
  await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '钩子客户乙' } });
  await waitFor((x) => x.body.includes('钩子客户乙'));
  assert.equal(received.filter((x) => x.headers['x-kelu-event'] === 'customer.update').length, 0);
  const deliveries = await s.call('GET', `/api/v1/webhooks/${hook.body.id}/deliveries`, { token: boss });
  const second = deliveries.body.items.find((x) => x.status === 'sent' && x.attempts === 2);
  assert.ok(second, JSON.stringify(deliveries.body.items));

  assert.equal((await s.call('DELETE', `/api/v1/webhooks/${hook.body.id}`, { token: boss })).status, 204);
  await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '钩子客户丙' } });
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(received.filter((x) => x.body.includes('钩子客户丙')).length, 0);
  const audit = await s.call('GET', '/api/v1/audit-log?limit=50', { token: boss });
  assert.ok(audit.body.items.some((a) => a.action === 'webhook.revoke'));
});

test('without the deployment allowing it, a webhook may not point at a private address, nor use plain http', async () => {
  const plain = await startServer();
  try {
    const b = await plain.loginAs('boss');
    const http = await plain.call('POST', '/api/v1/webhooks', { token: b, body: { url: 'http://hooks.example.com/x', events: ['*'] } });
    expectError(assert, http, 422, 'validation_failed');
    assert.equal(http.body.error.details.fields.url, 'must be an https address');
    assert.equal((await plain.call('POST', '/api/v1/webhooks', { token: b, body: { url: 'https://hooks.example.com/x', events: ['*'] } })).status, 201);
    for (const url of ['https://127.0.0.1:9/x', 'https://localhost/x', 'https://10.1.2.3/x', 'https://192.168.1.1/x', 'https://[::1]/x',
      // Other spellings a resolver takes for the same places.
      'https://LOCALHOST/x', 'https://localhost./x', 'https://127.1/x', 'https://2130706433/x', 'https://0x7f.1/x',
      'https://0177.0.0.1/x', 'https://[::ffff:127.0.0.1]/x', 'https://[fe80::1]/x', 'https://169.254.169.254/latest',
      'https://100.64.0.1/x', 'https://0.0.0.0/x', 'https://user@127.0.0.1/x']) {
      const r = await plain.call('POST', '/api/v1/webhooks', { token: b, body: { url, events: ['*'] } });
      expectError(assert, r, 422, 'validation_failed');
      assert.equal(r.body.error.details.fields.url, 'must not point at a private or loopback address', url);
    }
  } finally {
    await plain.stop();
  }
});

test('a name that resolves to a private address is refused when the delivery connects', async () => {
  // This machine's own name resolves (through /etc/hosts) to an address of the machine itself:
  // it passes the check of the URL's text, as a name that an attacker's DNS points anywhere
  // would, and must be stopped when the socket is opened.
  const { address } = await lookup(hostname());
  const plain = await startServer({ env: { KELU_WEBHOOKS_ALLOW_HTTP: 'true', KELU_WEBHOOKS_RETRY_BASE_SECONDS: '1', KELU_WEBHOOKS_MAX_ATTEMPTS: '1' } });
  const hits = [];
  const target = http.createServer((req, res) => { hits.push(req.url); res.writeHead(204).end(); });
  await new Promise((r) => target.listen(0, address, r));
  try {
    const b = await plain.loginAs('boss');
    const url = `http://${hostname()}:${target.address().port}/hooks`;
    const hook = await plain.call('POST', '/api/v1/webhooks', { token: b, body: { url, events: ['customer.create'] } });
    assert.equal(hook.status, 201, hook.text);
    assert.equal((await plain.call('POST', '/api/v1/customers', { token: b, body: { name: '解析到内网的钩子' } })).status, 201);
    let items = [];
    for (let i = 0; i < 100 && !items.some((d) => d.status === 'failed'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      items = (await plain.call('GET', `/api/v1/webhooks/${hook.body.id}/deliveries`, { token: b })).body.items;
    }
    const failed = items.find((d) => d.status === 'failed');
    assert.ok(failed, JSON.stringify(items));
    assert.match(failed.last_error, new RegExp(`refused to connect to ${address.replaceAll('.', '\\.')}: not a public address`));
    assert.deepEqual(hits, []);
  } finally {
    await plain.stop();
    target.close();
  }
});

test('signing secrets are sealed in the database, and still sign every delivery', async () => {
  const hook = await s.call('POST', '/api/v1/webhooks', { token: boss, body: { url: receiverUrl, events: ['customer.create'] } });
  assert.equal(hook.status, 201, hook.text);
  const sql = `SELECT secret FROM webhooks WHERE webhook_id = ${hook.body.id}`;
  const stored = (s.database.startsWith('sqlite:')
    ? execFileSync('sqlite3', [s.database.slice(7), sql], { encoding: 'utf8' })
    : execFileSync('psql', [s.database, '-Atc', sql], { encoding: 'utf8' })).trim();
  assert.match(stored, /^sb1:[A-Za-z0-9_-]+$/);
  assert.ok(!stored.includes(hook.body.secret.slice(6)), 'the secret is not kept in clear');
  await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '密钥封存客户' } });
  const [d] = await waitFor((x) => x.body.includes('密钥封存客户'));
  const expected = 'sha256=' + createHmac('sha256', hook.body.secret).update(`${d.headers['x-kelu-timestamp']}.${d.body}`).digest('hex');
  assert.equal(d.headers['x-kelu-signature'], expected);
  assert.equal((await s.call('DELETE', `/api/v1/webhooks/${hook.body.id}`, { token: boss })).status, 204);
});
