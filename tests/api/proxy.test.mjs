// Behind a proxy (server.trust_proxy), the client address is the rightmost X-Forwarded-For
// entry that is not a trusted proxy, so a client that writes its own X-Forwarded-For cannot
// choose what the login limiter, the login history and the audit log see. A real nginx on
// loopback stands in front of kelu: it connects to kelu from 127.0.0.2 (the one trusted proxy)
// and appends the address it saw, as `proxy_add_x_forwarded_for` does; clients come from
// 127.0.0.3 and 127.0.0.4.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, chmodSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, expectError, freePort } from './harness.mjs';

let s;
let nginx;
let nginxPort;
let work;
let boss;

// One request from `from` to `port`: {status, headers, body}.
function request(port, from, method, path, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, localAddress: from, method, path,
      headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: json, text });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

before(async () => {
  s = await startServer({ env: {
    KELU_SERVER_TRUST_PROXY: 'true',
    KELU_SERVER_TRUSTED_PROXIES: '127.0.0.2',
    KELU_SECURITY_IP_LOGIN_ATTEMPTS_PER_MINUTE: '3',
  } });
  boss = await s.loginAs('boss');
  const keluPort = new URL(s.url).port;
  work = mkdtempSync(join(tmpdir(), 'kelu-proxy-'));
  for (const d of ['logs', 'body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(work, d));
  chmodSync(work, 0o777);
  nginxPort = await freePort();
  writeFileSync(join(work, 'nginx.conf'), `
daemon off;
worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${work}/body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://127.0.0.1:${keluPort};
      proxy_bind 127.0.0.2;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`);
  nginx = spawn('/usr/sbin/nginx', ['-p', work, '-c', join(work, 'nginx.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await request(nginxPort, '127.0.0.1', 'GET', '/healthz')).status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not start: ${readFileSync(join(work, 'logs/error.log'), 'utf8')}`);
});

after(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGQUIT');
    await exited;
  }
  await s.stop();
  rmSync(work, { recursive: true, force: true });
});

const wrongLogin = (port, from, forged, login = 'nobody') => request(port, from, 'POST', '/api/v1/auth/login', {
  body: { tenant: 'demo', login, password: 'wrong-password-1' }, headers: forged ? { 'x-forwarded-for': forged } : {} });

async function lastAttempt(login) {
  const history = await s.call('GET', '/api/v1/login-history?limit=200', { token: boss });
  assert.equal(history.status, 200);
  return history.body.items.find((e) => e.login === login);
}

test('a forged X-Forwarded-For through the proxy is not the address kelu records', async () => {
  const r = await wrongLogin(nginxPort, '127.0.0.3', '6.6.6.6', 'forged-1');
  expectError(assert, r, 401, 'invalid_credentials');
  assert.equal((await lastAttempt('forged-1')).ip, '127.0.0.3');
  // Two forged headers, and a forged list: still the address nginx saw.
  const two = await request(nginxPort, '127.0.0.3', 'POST', '/api/v1/auth/login', {
    body: { tenant: 'demo', login: 'forged-2', password: 'wrong-password-1' },
    headers: { 'x-forwarded-for': ['6.6.6.6', '127.0.0.2, 7.7.7.7'] } });
  expectError(assert, two, 401, 'invalid_credentials');
  assert.equal((await lastAttempt('forged-2')).ip, '127.0.0.3');
  const audit = await s.call('GET', '/api/v1/audit-log?action=auth.login_failed&limit=200', { token: boss });
  const ips = audit.body.items.map((e) => e.ip).filter(Boolean);
  assert.ok(ips.length > 0 && !ips.includes('6.6.6.6') && !ips.includes('7.7.7.7'), JSON.stringify(ips));
});

test('the per-address login limit holds whatever a client forwards, and counts each real client', async () => {
  const forged = ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4', '5.5.5.5'];
  const answers = [];
  for (const f of forged) answers.push((await wrongLogin(nginxPort, '127.0.0.4', f)).status);
  // 3 a minute from one address, whatever each attempt claims to come from.
  assert.deepEqual(answers, [401, 401, 401, 429, 429]);
  expectError(assert, await wrongLogin(nginxPort, '127.0.0.4', '127.0.0.9'), 429, 'too_many_attempts');
  // Another client behind the same proxy is not held back by it.
  expectError(assert, await wrongLogin(nginxPort, '127.0.0.5', '127.0.0.4'), 401, 'invalid_credentials');
});

test('a client that is not a trusted proxy is its own address, whatever it forwards', async () => {
  const port = new URL(s.url).port;
  const r = await wrongLogin(port, '127.0.0.6', '127.0.0.2, 8.8.8.8', 'direct-1');
  expectError(assert, r, 401, 'invalid_credentials');
  assert.equal((await lastAttempt('direct-1')).ip, '127.0.0.6');
  // Nor does its X-Forwarded-Proto make the answer one sent over TLS.
  const proto = await request(port, '127.0.0.6', 'GET', '/healthz', { headers: { 'x-forwarded-proto': 'https' } });
  assert.equal(proto.headers['strict-transport-security'], undefined);
});
