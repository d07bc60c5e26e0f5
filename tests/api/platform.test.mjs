// The platform: health, readiness, metrics, OpenAPI, routing errors, body handling, headers,
// static files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { startServer, expectError, bin, METRICS_TOKEN } from './harness.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

test('health and readiness answer', async () => {
  const h = await s.call('GET', '/healthz');
  assert.equal(h.status, 200);
  assert.equal(h.body.status, 'ok');
  const r = await s.call('GET', '/readyz');
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'ready');
});

test('every response has a request id and the security headers', async () => {
  const r = await s.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-123' } });
  assert.equal(r.headers.get('x-request-id'), 'trace-123');
  const generated = await s.call('GET', '/api/v1/nothing');
  assert.match(generated.headers.get('x-request-id'), /^[A-Za-z0-9_-]{8,}$/);
  for (const res of [r, generated]) {
    assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
  }
});

test('an unknown API route is a JSON 404', async () => {
  expectError(assert, await s.call('GET', '/api/v1/no-such-thing'), 404, 'route_not_found');
});

test('a wrong method is 405 with Allow', async () => {
  const r = await s.call('DELETE', '/api/v1/users');
  expectError(assert, r, 405, 'method_not_allowed');
  assert.equal(r.headers.get('allow'), 'GET, POST');
});

test('no or bad credentials are 401', async () => {
  expectError(assert, await s.call('GET', '/api/v1/me'), 401, 'unauthenticated');
  expectError(assert, await s.call('GET', '/api/v1/me', { token: 'nonsense' }), 401, 'unauthenticated');
  expectError(assert, await s.call('GET', '/api/v1/me', { token: 'ks_1_2_' + 'x'.repeat(43) }), 401, 'unauthenticated');
});

test('malformed JSON is 400 invalid_json and changes nothing', async () => {
  const boss = await s.loginAs('boss');
  const before = await s.call('GET', '/api/v1/users', { token: boss });
  const r = await s.call('POST', '/api/v1/users', { token: boss, raw: '{"login": ', headers: { 'content-type': 'application/json' } });
  expectError(assert, r, 400, 'invalid_json');
  const notObject = await s.call('POST', '/api/v1/users', { token: boss, raw: '[1,2]', headers: { 'content-type': 'application/json' } });
  expectError(assert, notObject, 400, 'invalid_json');
  const after = await s.call('GET', '/api/v1/users', { token: boss });
  assert.deepEqual(after.body.items.length, before.body.items.length);
});

test('a body that is not JSON is 415', async () => {
  const boss = await s.loginAs('boss');
  const r = await s.call('POST', '/api/v1/departments', { token: boss, raw: 'name=x', headers: { 'content-type': 'text/plain' } });
  assert.equal(r.status, 415);
  assert.equal(r.body.error.code, 'unsupported_media_type');
});

test('wrong or missing fields are 422 with per-field details', async () => {
  const boss = await s.loginAs('boss');
  const r = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'x y', role: 'king', surprise: 1 } });
  expectError(assert, r, 422, 'validation_failed');
  const fields = r.body.error.details.fields;
  assert.equal(fields.name, 'required');
  assert.match(fields.role, /must be one of/);
  assert.equal(fields.surprise, 'unknown field');
});

test('an oversize body is 413 and nothing is written', async () => {
  const boss = await s.loginAs('boss');
  const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) });
  const r = await s.call('POST', '/api/v1/departments', { token: boss, raw: big, headers: { 'content-type': 'application/json' } });
  expectError(assert, r, 413, 'payload_too_large');
  const list = await s.call('GET', '/api/v1/departments', { token: boss });
  assert.equal(list.body.items.length, 0);
});

test('metrics expose requests per route and status, latency and the pool', async () => {
  await s.call('GET', '/healthz');
  // Only to the bearer of server.metrics_token; to anyone else there is no such route.
  for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: METRICS_TOKEN }]) {
    expectError(assert, await s.call('GET', '/metrics', { headers }), 404, 'not_found');
  }
  const r = await s.call('GET', '/metrics', { token: METRICS_TOKEN });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/plain/);
  assert.match(r.text, /kelu_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  assert.match(r.text, /kelu_http_request_duration_seconds_bucket\{method="GET",route="\/healthz",status="200",le="0.001"\}/);
  assert.match(r.text, /kelu_db_pool_in_use \d+/);
  assert.match(r.text, /kelu_db_pool_idle \d+/);
  assert.match(r.text, /# TYPE kelu_job_runs_total counter/);
});

test('the OpenAPI document describes every route of the router', async () => {
  const doc = (await s.call('GET', '/api/openapi.json')).body;
  assert.equal(doc.openapi, '3.1.0');
  const routes = JSON.parse(execFileSync(bin, ['--db', s.database, 'routes', '--json'], { encoding: 'utf8' }));
  assert.ok(routes.length >= 40, `only ${routes.length} routes`);
  for (const r of routes) {
    const op = doc.paths[r.path]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${r.path} is not in the OpenAPI document`);
    assert.ok(op.summary && op.summary.length > 10, `${r.method} ${r.path} has no summary`);
    assert.ok(Object.keys(op.responses).length >= 2, `${r.method} ${r.path} documents too few answers`);
    assert.equal(op['x-access'], r.access);
    for (const m of r.path.matchAll(/\{(\w+)\}/g)) {
      assert.ok(op.parameters.some((p) => p.in === 'path' && p.name === m[1]), `${r.path}: ${m[1]} undocumented`);
    }
  }
  const documented = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
  assert.equal(documented, routes.length, 'the document lists routes the router does not have');
});

test('the web app is served with fallback to index.html for app routes', async () => {
  const root = await s.call('GET', '/');
  assert.equal(root.status, 200);
  assert.match(root.headers.get('content-type'), /text\/html/);
  assert.match(root.text, /客录/);
  const appRoute = await s.call('GET', '/customers/123');
  assert.equal(appRoute.status, 200);
  assert.equal(appRoute.text, root.text);
  assert.equal(appRoute.headers.get('cache-control'), 'no-cache');
  const missingAsset = await s.call('GET', '/assets/missing-abc123.js');
  assert.equal(missingAsset.status, 404);
  const traversal = await s.call('GET', '/../../etc/passwd');
  assert.notEqual(traversal.status, 500);
  assert.doesNotMatch(traversal.text, /root:/);
});

test('kelu refuses an unknown configuration key, naming it', () => {
  assert.throws(
    () => execFileSync(bin, ['--db', s.database, 'migrate'], { env: { ...process.env, KELU_SERVER_LISTN: 'x' }, stdio: 'pipe' }),
    (e) => /server\.listn/.test(e.stderr.toString()),
  );
});

// Sends raw bytes and resolves with everything the server answered before it closed.
function rawExchange(url, chunks, { gapMs = 0, onSent } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname);
    let answer = '';
    sock.on('data', (d) => { answer += d; });
    sock.on('error', reject);
    sock.on('close', () => resolve(answer));
    sock.on('connect', async () => {
      for (const c of chunks) {
        sock.write(c);
        if (onSent) onSent(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

test('responses are framed by HTTP/1.1 and 1.0 rules: lengths, HEAD, 204, keep-alive, pipelining', async () => {
  const token = await s.loginAs('boss');
  // Three pipelined requests on one connection; the last asks to close.
  const answer = await rawExchange(s.url, [
    'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' +
    'HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n' +
    `POST /api/v1/auth/logout HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
  ]);
  const parts = answer.split(/(?=HTTP\/1\.1 )/);
  assert.equal(parts.length, 3, answer);
  const [get, head, logout] = parts;
  assert.match(get, /^HTTP\/1.1 200 OK\r\n/);
  assert.match(get, /\r\nContent-Length: 15\r\n/);
  assert.ok(get.endsWith('\r\n\r\n{"status":"ok"}'), get);
  assert.doesNotMatch(get, /Connection:/i, 'keep-alive is the 1.1 default');
  // HEAD: the GET's length, no body.
  assert.match(head, /\r\nContent-Length: 15\r\n/);
  assert.ok(head.endsWith('\r\n\r\n'), head);
  // 204: no length, no body; the connection closes as asked.
  assert.match(logout, /^HTTP\/1.1 204 No Content\r\n/);
  assert.doesNotMatch(logout, /Content-Length/i);
  assert.match(logout, /\r\nConnection: close\r\n/);
  assert.ok(logout.endsWith('\r\n\r\n'), logout);
  // HTTP/1.0 closes unless asked to keep alive, and then says so.
  const closed = await rawExchange(s.url, ['GET /healthz HTTP/1.0\r\n\r\n']);
  assert.match(closed, /^HTTP\/1.0 200 OK\r\n/);
  assert.doesNotMatch(closed, /Connection:/i);
  const kept = await rawExchange(s.url, [
    'GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n',
  ]);
  assert.equal(kept.match(/HTTP\/1.0 200/g).length, 2, kept);
  assert.match(kept, /^HTTP\/1.0 200 OK\r\n[^]*Connection: keep-alive\r\n/);
});

test('oversized headers are answered 431', async () => {
  const answer = await rawExchange(s.url, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`]);
  assert.match(answer, /^HTTP\/1.1 431/);
  assert.match(answer, /header_too_large/);
});

test('an idle keep-alive connection is closed after the idle timeout', async () => {
  const t = await startServer({ env: { KELU_SERVER_IDLE_TIMEOUT_SECONDS: '1' } });
  try {
    const started = Date.now();
    const answer = await rawExchange(t.url, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n']);
    assert.match(answer, /^HTTP\/1.1 200/);
    assert.ok(Date.now() - started >= 900, 'closed before the idle timeout');
  } finally {
    await t.stop();
  }
});

test('a request that arrives too slowly is dropped after the read timeout, and others are served meanwhile', async () => {
  const t = await startServer({ env: { KELU_SERVER_READ_TIMEOUT_SECONDS: '1', KELU_SERVER_THREADS: '2' } });
  try {
    // A header trickling in a byte every 200 ms: each byte is in time, the whole header is not.
    const header = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(40) + '\r\n\r\n';
    let started = Date.now();
    let sentBytes = 0;
    const trickle = rawExchange(t.url, [...header], {
      gapMs: 200, onSent: () => { sentBytes += 1; },
    });
    // Meanwhile other connections, on every thread, are answered at once.
    const others = await Promise.all(Array.from({ length: 6 }, () => t.call('GET', '/healthz')));
    for (const r of others) assert.equal(r.status, 200);
    const answer = await trickle;
    const took = Date.now() - started;
    assert.equal(answer, '', 'nothing is answered to a request that never arrived');
    assert.ok(took >= 900, `closed after ${took} ms, before the read timeout`);
    assert.ok(sentBytes < header.length, 'closed before the header was complete');

    // A body that stops halfway: the connection is closed without an answer.
    started = Date.now();
    const stalled = await rawExchange(t.url, [
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tenant"',
    ]);
    assert.equal(stalled, '');
    assert.ok(Date.now() - started >= 900, 'closed before the read timeout');
    assert.equal((await t.call('GET', '/healthz')).status, 200, 'the server still serves');
  } finally {
    await t.stop();
  }
});

test('a slow upload does not hold up the other requests of its thread', async () => {
  // One thread: without the slow lane, every other connection waits while the upload's
  // handler reads the whole file.
  const t = await startServer({ env: { KELU_SERVER_THREADS: '1' } });
  try {
    const token = await t.loginAs('boss');
    const lines = ['名称,电话'];
    for (let i = 0; i < 400000; i++) lines.push(`上传测试客户${i},1380000${String(i).padStart(4, '0')}`);
    const csv = lines.join('\n');
    let uploading = true;
    const started = Date.now();
    const upload = t.call('POST', '/api/v1/imports?filename=big.csv', {
      token, headers: { 'content-type': 'text/csv' }, raw: csv,
    }).finally(() => { uploading = false; });
    const waits = [];
    while (uploading) {
      const asked = Date.now();
      const r = await t.call('GET', '/healthz');
      assert.equal(r.status, 200);
      waits.push(Date.now() - asked);
    }
    const up = await upload;
    assert.equal(up.status, 201, up.text);
    assert.equal(up.body.total_rows, 400000);
    const took = Date.now() - started;
    assert.ok(waits.length >= 3, `only ${waits.length} requests answered during a ${took} ms upload`);
    assert.ok(Math.max(...waits) < took / 2, `a request waited ${Math.max(...waits)} ms during a ${took} ms upload`);
  } finally {
    await t.stop();
  }
});

test('on SIGTERM an in-flight request still completes', async () => {
  const t = await startServer();
  try {
    const token = await t.loginAs('boss');
    const body = JSON.stringify({ name: '关机前创建' });
    const head = `POST /api/v1/departments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    const half = Buffer.from(body).subarray(0, 5);
    const rest = Buffer.from(body).subarray(5);
    let signalled = false;
    const exited = new Promise((r) => t.proc.once('exit', (code) => r(code)));
    const answer = await rawExchange(t.url, [head, half, rest], {
      gapMs: 300,
      onSent: (c) => { if (c === half && !signalled) { signalled = true; t.proc.kill('SIGTERM'); } },
    });
    assert.match(answer, /^HTTP\/1.1 201/);
    assert.equal(await exited, 0);
    // The request's work is kept: the department exists after a restart on the same database.
    const again = await startServer({ db: t.database });
    try {
      const list = await again.call('GET', '/api/v1/departments', { token: await again.loginAs('boss') });
      assert.ok(list.body.items.some((d) => d.name === '关机前创建'));
    } finally {
      await again.stop();
    }
  } finally {
    await t.stop();
  }
});

test('the operator reads the operator audit log', async () => {
  const op = await s.operatorToken();
  await s.createTenant('audited-co');
  const log = await s.call('GET', '/api/v1/operator/audit-log', { token: op });
  assert.equal(log.status, 200);
  const create = log.body.items.find((e) => e.action === 'tenant.create');
  assert.ok(create, JSON.stringify(log.body.items.slice(0, 3)));
  assert.equal(create.after.slug, 'audited-co');
  assert.ok(log.body.items.some((e) => e.action === 'operator.login'));
});

test('SIGTERM stops the server cleanly', async () => {
  const other = await startServer();
  const exited = new Promise((r) => other.proc.once('exit', (code, signal) => r({ code, signal })));
  other.proc.kill('SIGTERM');
  const { code } = await exited;
  assert.equal(code, 0);
  await other.stop();
});
