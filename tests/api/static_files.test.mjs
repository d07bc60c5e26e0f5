// The web app's files are served from an index of web/dist made at start, never from a path
// joined from the request: no request text reaches a file outside the built app. The server
// here is started as `make run` starts it: from a working directory holding web/dist and data/,
// with the default configuration and database (data/kelu.db), `kelu demo` then `kelu serve`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, cpSync, rmSync, symlinkSync, readdirSync, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, root, dbKind } from './harness.mjs';

const once = dbKind !== 'sqlite' && 'runs once: make run serves SQLite';
let dir;
let proc;
let port;
let asset;

// One request exactly as written (fetch would normalise the path): {status, body}.
function raw(target, method = 'GET') {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = text.match(/^HTTP\/1\.1 (\d{3})/);
      resolve({ status: m ? Number(m[1]) : 0, body: text.slice(text.indexOf('\r\n\r\n') + 4), text });
    });
    socket.write(Buffer.concat([Buffer.from(`${method} `), Buffer.from(target, 'latin1'),
      Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')]));
  });
}

before(async () => {
  if (once) return;
  const dist = join(root, 'web/dist');
  assert.ok(existsSync(join(dist, 'index.html')), 'the web app is built (scripts/web.sh)');
  dir = mkdtempSync(join(tmpdir(), 'kelu-static-'));
  cpSync(dist, join(dir, 'web/dist'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  // Links planted inside the app that lead out of it: to the database and to /etc.
  symlinkSync(join(dir, 'data/kelu.db'), join(dir, 'web/dist/assets/leak.js'));
  symlinkSync('/etc', join(dir, 'web/dist/etc'));
  symlinkSync('/etc/passwd', join(dir, 'web/dist/passwd.txt'));
  asset = readdirSync(join(dist, 'assets')).find((f) => f.endsWith('.js'));
  const env = { ...process.env, KELU_SECURITY_IP_LOGIN_ATTEMPTS_PER_MINUTE: '100000' };
  execFileSync(bin, ['demo'], { cwd: dir, env, encoding: 'utf8' });
  proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kelu did not start:\n${output}`)), 20000);
    const onData = (c) => {
      output += c;
      const m = output.match(/listening on http:\/\/[0-9.]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
  });
});

after(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the built app is served, and app routes fall back to the single page', { skip: once }, async () => {
  const index = readFileSync(join(root, 'web/dist/index.html'), 'latin1');
  for (const path of ['/', '/customers/12', '/operator/tenants', '/customers/']) {
    const r = await raw(path);
    assert.equal(r.status, 200, path);
    assert.equal(r.body, index, path);
  }
  const js = await raw(`/assets/${asset}`);
  assert.equal(js.status, 200);
  assert.match(js.text, /content-type: text\/javascript/i);
  assert.match(js.text, /immutable/);
  assert.equal(js.body, readFileSync(join(root, 'web/dist/assets', asset), 'latin1'));
  assert.equal((await raw(`/assets/${asset}`, 'HEAD')).status, 200);
  for (const path of ['/assets/missing.js', '/favicon-missing.ico', '/assets/x', '/index.php']) {
    assert.equal((await raw(path)).status, 404, path);
  }
});

test('no path reaches a file outside the app', { skip: once }, async () => {
  const db = join(dir, 'data/kelu.db');
  const secrets = [/root:.*:0:0:/, /SQLite format 3/, /KELU_/, /kelu\.db/];
  const targets = [
    '//etc/passwd', '//proc/self/environ', '//proc/self/cmdline', `/${db}`, `/${db}-wal`,
    '///etc/passwd', '/.//etc/passwd',
    '/%2fetc%2fpasswd', '/%2Fetc%2Fpasswd', '/%2F%2Fetc/passwd', `/%2f${db.slice(1).replaceAll('/', '%2f')}`,
    '/etc%2fpasswd', '/assets%2f..%2f..%2fdata%2fkelu.db',
    '/../data/kelu.db', '/../../../../etc/passwd', '/assets/../../data/kelu.db',
    '/assets/../../../../../../etc/passwd', '/x/../../data/kelu.db', '/..', '/../',
    '/%2e%2e/data/kelu.db', '/%2E%2E/%2E%2E/etc/passwd', '/assets/%2e%2e/%2e%2e/data/kelu.db',
    '/%2e%2e%2f%2e%2e%2fdata%2fkelu.db', '/.%2e/data/kelu.db', '/%2e./data/kelu.db',
    '/assets/..%2f..%2fdata/kelu.db', '/customers/%2e%2e/%2e%2e/data/kelu.db',
    '/..\\..\\data\\kelu.db', '/assets\\..\\..\\data\\kelu.db', '/%5c..%5c..%5cdata%5ckelu.db',
    '/assets/..%5c..%5cdata%5ckelu.db',
    '/etc/passwd%00', '/index.html%00.js', '/%00/etc/passwd', '/assets/%00',
    '/assets/leak.js', '/etc/passwd', '/passwd.txt', '/etc/hostname',
    `/${'a'.repeat(4000)}`, `/assets/${'../'.repeat(1000)}etc/passwd`, `/${'%2e%2e/'.repeat(600)}etc/passwd`,
  ];
  const index = readFileSync(join(root, 'web/dist/index.html'), 'latin1');
  for (const t of targets) {
    const r = await raw(t);
    for (const s of secrets) assert.doesNotMatch(r.body, s, `${t} leaked`);
    if (t === '/etc/passwd' || t === '/etc/hostname') {
      // Shaped like an app route: the single page, whatever the app directory holds there.
      assert.equal(r.status, 200, t);
      assert.equal(r.body, index, t);
      continue;
    }
    assert.ok(r.status === 404 || r.status === 400, `${t} answered ${r.status}`);
    assert.notEqual(r.body, index, `${t} answered the single page`);
  }
  // The API's own paths are not files either.
  for (const t of ['/api/v1/../../etc/passwd', '/api//etc/passwd', '/api/v1/%2e%2e/%2e%2e/etc/passwd']) {
    const r = await raw(t);
    assert.ok(r.status === 404 || r.status === 400, `${t} answered ${r.status}`);
    for (const s of secrets) assert.doesNotMatch(r.body, s, `${t} leaked`);
  }
});
