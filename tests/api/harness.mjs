// Starts the real kelu binary on a throwaway database and talks to it over HTTP.
// KELU_BIN names the binary; KELU_TEST_DB is "sqlite" (default) or "postgres", in which case
// KELU_TEST_PG_URL names a server where each started kelu gets a database of its own.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, createHash, createHmac } from 'node:crypto';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const bin = process.env.KELU_BIN || join(root, 'build/debug/src/kelu');
export const dbKind = process.env.KELU_TEST_DB || 'sqlite';
// The EICAR test string: every antivirus detects it; it harms nothing.
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

// Generous per-address login limits, so suites that sign in often are not throttled (the
// throttling test sets its own), and a token to read the metrics with.
const baseEnv = { KELU_SECURITY_IP_LOGIN_ATTEMPTS_PER_MINUTE: '100000', KELU_SERVER_ACCESS_LOG: 'off',
  KELU_SERVER_METRICS_TOKEN: 'metrics-token-for-tests' };
// The bearer token GET /metrics wants from the servers started here.
export const METRICS_TOKEN = baseEnv.KELU_SERVER_METRICS_TOKEN;

// RFC 6238 (HMAC-SHA1, 6 digits, 30-second steps), written here apart from the server's
// liboath so each checks the other. `secret` is base32, as an authenticator app is given it.
export function totp(secret, unixSeconds) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

// The service's time as its Date header says (the test clock's, when it runs one), in seconds.
export function serverSeconds(res) {
  return Math.floor(Date.parse(res.headers.get('date')) / 1000);
}

function newDatabase(dir) {
  if (dbKind !== 'postgres') return `sqlite:${join(dir, 'kelu.db')}`;
  const admin = process.env.KELU_TEST_PG_URL;
  if (!admin) throw new Error('KELU_TEST_PG_URL is not set');
  const name = `kelu_${randomBytes(6).toString('hex')}`;
  execFileSync('psql', [admin, '-q', '-c', `CREATE DATABASE ${name}`]);
  return admin.replace(/\/[^/]*$/, `/${name}`);
}

export function kelu(args, { db, env = {} } = {}) {
  return execFileSync(bin, ['--db', db, ...args], {
    env: { ...process.env, ...baseEnv, ...env },
    encoding: 'utf8',
  });
}

// The same without blocking this process, for commands that talk to a server the test itself
// runs (the S3 stand-in), which must keep answering meanwhile. Resolves {code, stdout, stderr}.
export function keluAsync(args, { db, env = {} } = {}) {
  return new Promise((done) => {
    execFile(bin, ['--db', db, ...args], { env: { ...process.env, ...baseEnv, ...env }, encoding: 'utf8' },
      (error, stdout, stderr) => done({ code: error ? error.code : 0, stdout, stderr }));
  });
}

// Starts `kelu serve` on a free port; resolves once it listens. Each server keeps its files
// (uploads, error files) in a directory of its own. `restart` (a stopped server, stopped with
// {keep: true}) starts again on the same database, files and demo logins. `clockStart` (an RFC
// 3339 instant, with testClock) pins where the test clock starts, and the demo data is made as
// of it: a suite that asserts fixed dates runs the same on any day.
export async function startServer({ testClock = false, clockStart, env = {}, db, restart } = {}) {
  const dir = restart ? restart.dir : mkdtempSync(join(tmpdir(), 'kelu-api-'));
  const database = restart ? restart.database : db || newDatabase(dir);
  // Every server scans uploads with a signature database of one line: the EICAR test string.
  const clamdb = join(dir, 'clamdb');
  if (!restart) {
    mkdirSync(clamdb, { recursive: true });
    writeFileSync(join(clamdb, 'eicar.hdb'), `${createHash('md5').update(EICAR).digest('hex')}:${EICAR.length}:Kelu.Test.EICAR\n`);
  }
  env = { KELU_FILES_DIR: join(dir, 'files'), KELU_ATTACHMENTS_CLAMAV_DB_DIR: clamdb, ...env };
  const at = clockStart ? ['--now', clockStart] : [];
  const demo = restart ? restart.demo : JSON.parse(kelu(['demo', '--json', ...at], { db: database, env }));
  const args = ['--db', database, 'serve', '--listen', '127.0.0.1:0'];
  if (testClock) args.push('--test-clock');
  if (testClock && clockStart) args.push('--test-clock-start', clockStart);
  const proc = spawn(bin, args, { env: { ...process.env, ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`kelu did not start:\n${output}`)), 20000);
    const onData = (chunk) => {
      output += chunk;
      const m = output.match(/listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (c) => { output += c; });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`kelu exited ${code}:\n${output}`)); });
  });
  const server = {
    url, proc, demo, database, dir,
    output: () => output,
    // {signal: 'SIGKILL'} stops it as a crash would; {keep: true} keeps its files for a restart.
    async stop({ signal = 'SIGTERM', keep = false } = {}) {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill(signal);
        await exited;
      }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
    // A request; answers {status, headers, body (parsed JSON when JSON), text}.
    async call(method, path, { token, body, headers = {}, raw } = {}) {
      const h = { ...headers };
      if (token) h.authorization = `Bearer ${token}`;
      let payload;
      if (raw !== undefined) payload = raw;
      else if (body !== undefined) {
        payload = JSON.stringify(body);
        h['content-type'] = h['content-type'] || 'application/json';
      }
      const res = await fetch(url + path, { method, headers: h, body: payload, redirect: 'manual' });
      // Keep a byte order mark if there is one: exports are checked for it.
      const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
      let json;
      try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
      return { status: res.status, headers: res.headers, body: json, text };
    },
    async login(login, password, tenant = 'demo') {
      const r = await server.call('POST', '/api/v1/auth/login', { body: { tenant, login, password } });
      if (r.status !== 200) throw new Error(`login ${login}: ${r.status} ${r.text}`);
      return r.body.token;
    },
    async loginAs(role) {
      const u = demo.tenant.users.find((x) => x.role === role || x.login === role);
      return server.login(u.login, u.password);
    },
    // A code of `secret` the service has not taken yet, for the time `res` answered at: each
    // code is taken once (RFC 6238 §5.2), so a second sign-in within one 30-second step uses the
    // next step's code, which the service also accepts. Steps used are kept with the demo
    // logins, so they survive a restart.
    freshCode(secret, res) {
      const used = (demo.usedSteps ||= {});
      const now = serverSeconds(res);
      const step = Math.max(Math.floor(now / 30), (used[secret] ?? -1) + 1);
      if (step > Math.floor(now / 30) + 1) return null;
      used[secret] = step;
      return totp(secret, step * 30);
    },
    // Signs the demo operator in, both steps: a fresh code, or a recovery code when the codes of
    // this moment are spent.
    async operatorLogin() {
      const { email, password, totp_secret: secret } = demo.operator;
      const first = await server.call('POST', '/api/v1/operator/auth/login', { body: { email, password } });
      if (first.status !== 200 || !first.body.mfa) throw new Error(`operator login: ${first.status} ${first.text}`);
      const code = server.freshCode(secret, first);
      const factor = code ? { code } : { recovery_code: demo.operator.recovery_codes.pop() };
      const r = await server.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, ...factor } });
      if (r.status !== 200) throw new Error(`operator login, second step: ${r.status} ${r.text}`);
      return r.body.token;
    },
    // The demo operator's session, signed in once and kept while it works.
    async operatorToken() {
      if (server.operatorSession) {
        const r = await server.call('GET', '/api/v1/operator/me', { token: server.operatorSession });
        if (r.status === 200) return server.operatorSession;
      }
      server.operatorSession = await server.operatorLogin();
      return server.operatorSession;
    },
    // Creates a tenant through the operator API with a known boss password.
    async createTenant(slug, { seats = 5, bossPassword = 'Strong-pass-2026' } = {}) {
      const op = await server.operatorToken();
      const r = await server.call('POST', '/api/v1/operator/tenants', {
        token: op,
        body: { slug, name: `${slug} 公司`, seats, boss: { login: 'boss', name: `${slug} 老板`, password: bossPassword } },
      });
      if (r.status !== 201) throw new Error(`create tenant: ${r.status} ${r.text}`);
      return { tenant: r.body, bossToken: await server.login('boss', bossPassword, slug) };
    },
  };
  return server;
}

export function expectError(assert, res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
  assert.equal(res.body?.error?.code, code, `expected code ${code}, got ${res.text}`);
  assert.equal(typeof res.body.error.message, 'string');
  assert.ok(res.body.error.message.length > 0);
}

// A port on loopback that nothing listens on now, chosen by the kernel (not at random: a random
// port can be taken, or sit in the range the kernel hands out for outgoing connections).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

// A real SMTP server on loopback (Debian's aiosmtpd, run by the system Python), storing each
// message it accepts in a maildir. `messages()` answers them parsed: {to, subject, body, raw}.
// It keeps its port across stop() and start(), so a server configured with `url` finds it again.
export async function startSmtp() {
  const dir = mkdtempSync(join(tmpdir(), 'kelu-smtp-'));
  let proc;
  const smtp = {
    port: await freePort(),
    get url() { return `smtp://127.0.0.1:${smtp.port}`; },
    // Waits until aiosmtpd accepts connections. If it exits first (its port taken meanwhile) the
    // first start tries another port; the error says what aiosmtpd printed.
    async start({ attempts = 3 } = {}) {
      let stderr = '';
      proc = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtp.port}`,
        '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'maildir')], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc.stderr.setEncoding('utf8');
      proc.stderr.on('data', (d) => { stderr += d; });
      const until = Date.now() + 30000;
      while (Date.now() < until) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          if (attempts > 1) {
            smtp.port = await freePort();
            return smtp.start({ attempts: attempts - 1 });
          }
          throw new Error(`aiosmtpd exited (${proc.exitCode ?? proc.signalCode}): ${stderr}`);
        }
        // Ready when the port greets like an SMTP server ("220 ..."): whatever else may hold
        // the port does not count as aiosmtpd.
        const greeted = await new Promise((done) => {
          const sock = net.connect(smtp.port, '127.0.0.1');
          sock.setTimeout(2000, () => { sock.destroy(); done(false); });
          sock.once('data', (d) => { sock.destroy(); done(d.toString().startsWith('220')); });
          sock.once('error', () => done(false));
          sock.once('close', () => done(false));
        });
        if (greeted && proc.exitCode === null) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`aiosmtpd did not accept connections on port ${smtp.port} within 30 s: ${stderr}`);
    },
    async stop() {
      if (proc && proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
    },
    messages() {
      const box = join(dir, 'maildir', 'new');
      if (!existsSync(box)) return [];
      return readdirSync(box).sort().map((f) => parseMail(readFileSync(join(box, f), 'utf8')));
    },
    async waitFor(predicate, timeoutMs = 15000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = smtp.messages().filter(predicate);
        if (found.length) return found;
        if (Date.now() > until) throw new Error(`no such mail; have: ${JSON.stringify(smtp.messages().map((m) => m.subject))}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async remove() { await smtp.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
  await smtp.start();
  return smtp;
}

function decodeWords(text) {
  return text.replace(/=\?UTF-8\?B\?([^?]+)\?=/gi, (_, b64) => Buffer.from(b64, 'base64').toString('utf8'));
}

function parseMail(raw) {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = {};
  for (const line of head.split(/\r?\n/)) {
    const m = line.match(/^([\w-]+):\s*(.*)$/);
    if (m) headers[m[1].toLowerCase()] = m[2];
  }
  let body = rest.join('\n\n');
  if (/base64/i.test(headers['content-transfer-encoding'] || '')) body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { to: headers.to, subject: decodeWords(headers.subject || ''), messageId: headers['message-id'], body, raw };
}

// An S3-compatible server on loopback: s3rver (an S3 implementation in Node) behind a gate that
// checks every request's AWS Signature V4 the way S3 does (s3rver checks only that the access
// key is one it knows, so the test's key is registered with it). `requests` lists what came in: {method, path, status}; a bad signature is 403
// SignatureDoesNotMatch and never reaches the bucket.
export async function startS3({ bucket = 'kelu', accessKey = 'kelu-test-key', secretKey = 'kelu-test-secret', region = 'us-east-1' } = {}) {
  const { default: S3rver } = await import('s3rver');
  const { default: AWSAccount } = await import('s3rver/lib/models/account.js');
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);
  const http = await import('node:http');
  const { createHmac } = await import('node:crypto');
  const dir = mkdtempSync(join(tmpdir(), 'kelu-s3-'));
  const backend = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port: backendPort } = await backend.run();
  const requests = [];
  const hmac = (key, text) => createHmac('sha256', key).update(text).digest();
  const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  function verify(req, body) {
    const auth = req.headers.authorization || '';
    const m = auth.match(/^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/);
    if (!m || m[1] !== accessKey || m[3] !== region) return false;
    const [, , day, , signedHeaders, signature] = m;
    const url = new URL(req.url, 'http://x');
    const query = [...url.searchParams.entries()].map(([k, v]) => [enc(k), enc(v)]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
    const headers = signedHeaders.split(';').map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const payload = req.headers['x-amz-content-sha256'];
    if (!payload || !signedHeaders.split(';').includes('x-amz-content-sha256')) return false;
    if (payload !== 'UNSIGNED-PAYLOAD' && payload !== createHash('sha256').update(body).digest('hex')) return false;
    const canonical = [req.method, url.pathname, query, headers, signedHeaders, payload].join('\n');
    const date = req.headers['x-amz-date'];
    const scope = `${day}/${region}/s3/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, day), region), 's3'), 'aws4_request');
    return hmac(key, toSign).toString('hex') === signature;
  }
  const gate = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method, path: req.url, status: 0 };
      requests.push(entry);
      if (!verify(req, body)) {
        entry.status = 403;
        res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
        return;
      }
      const fwd = http.request({ host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
        entry.status = up.statusCode;
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => { entry.status = 502; res.writeHead(502).end(); });
      fwd.end(body);
    });
  });
  await new Promise((r) => gate.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${gate.address().port}`;
  return {
    url, bucket, accessKey, secretKey, region, requests, dir,
    backendUrl: `http://127.0.0.1:${backendPort}`, // the bucket without the gate, for planting objects
    env: {
      KELU_ATTACHMENTS_BLOB_STORE: 's3', KELU_ATTACHMENTS_S3_ENDPOINT: url, KELU_ATTACHMENTS_S3_BUCKET: bucket,
      KELU_ATTACHMENTS_S3_REGION: region, KELU_ATTACHMENTS_S3_ACCESS_KEY: accessKey, KELU_ATTACHMENTS_S3_SECRET_KEY: secretKey,
    },
    async stop() {
      await new Promise((r) => gate.close(r));
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
