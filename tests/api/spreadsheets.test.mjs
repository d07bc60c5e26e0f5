// Uploaded spreadsheets are read within limits: a small file that unpacks to a huge one is
// refused at once with 413 spreadsheet_too_large naming the limit, the server's memory barely
// moves, nothing is left behind, and what the answer echoes of a file is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, expectError } from './harness.mjs';

let s;
let boss;
let work;
before(async () => {
  s = await startServer();
  boss = await s.loginAs('boss');
  work = mkdtempSync(join(tmpdir(), 'kelu-sheets-'));
});
after(async () => {
  await s.stop();
  rmSync(work, { recursive: true, force: true });
});

// A workbook written by Python's zipfile in pieces: the sheet is `head`, then `mib` MiB of
// `filler` (deflate packs a repeated text about a thousand times), then `randomRows` rows of
// random numbers (which pack about as well as real data); `sharedStrings` of random numbers.
function workbook(name, { head = '', filler = ' ', mib = 0, randomRows = 0, sharedStrings = 0 } = {}) {
  const path = join(work, name);
  execFileSync('/usr/bin/python3', ['-c', `
import json, random, sys, zipfile
path, spec = sys.argv[1], json.loads(sys.argv[2])
rnd = random.Random(7)
with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED, compresslevel=6) as z:
    if spec['sharedStrings']:
        with z.open('xl/sharedStrings.xml', 'w', force_zip64=True) as f:
            f.write(b'<sst>')
            for _ in range(spec['sharedStrings']):
                f.write(b'<si><t>%d</t></si>' % rnd.randrange(10**9))
            f.write(b'</sst>')
    with z.open('xl/worksheets/sheet1.xml', 'w', force_zip64=True) as f:
        f.write(b'<?xml version="1.0"?><worksheet><sheetData>' + spec['head'].encode())
        piece = (spec['filler'] * (1048576 // len(spec['filler']) + 1)).encode()[:1048576]
        for _ in range(spec['mib']):
            f.write(piece)
        for _ in range(spec['randomRows']):
            f.write(b'<row><c><v>%d</v></c></row>' % rnd.randrange(10**9))
        f.write(b'</sheetData></worksheet>')
`, path, JSON.stringify({ head, filler, mib, randomRows, sharedStrings })]);
  return readFileSync(path);
}

const upload = (bytes, filename = 'book.xlsx') =>
  s.call('POST', `/api/v1/imports?entity=customers&filename=${encodeURIComponent(filename)}`,
    { token: boss, raw: bytes, headers: { 'content-type': 'application/octet-stream' } });

function memory() {
  const status = readFileSync(`/proc/${s.proc.pid}/status`, 'utf8');
  const kib = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))[1]);
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

const row = (...cells) => `<row>${cells.map((c) => `<c t="inlineStr"><is><t>${c}</t></is></c>`).join('')}</row>`;

test('a 256 KiB workbook that unpacks to 256 MiB is refused at once, and memory stays put', async (t) => {
  const bomb = workbook('bomb.xlsx', { head: row('客户名称', '手机'), mib: 256 });
  assert.ok(bomb.length <= 512 * 1024, `the file is ${bomb.length} bytes`);
  const importsBefore = (await s.call('GET', '/api/v1/imports', { token: boss })).body.items.length;
  // VmHWM is reset to the current size, so what it reads after is the peak during the upload.
  execFileSync('sh', ['-c', `echo 5 > /proc/${s.proc.pid}/clear_refs`]);
  const before = memory();
  const started = process.hrtime.bigint();
  const r = await upload(bomb);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const after = memory();
  expectError(assert, r, 413, 'spreadsheet_too_large');
  assert.equal(r.body.error.details.limit, 'inflated_bytes');
  assert.equal(r.body.error.details.max, bomb.length * 100);
  const grew = (after.peak - before.rss) / 1024;
  t.diagnostic(`${bomb.length} bytes refused in ${ms.toFixed(0)} ms; the server's peak grew by ${grew.toFixed(1)} MiB`);
  assert.ok(grew < 64, `the server grew by ${grew.toFixed(1)} MiB`);
  // Nothing of it is kept: no import, no file.
  assert.equal((await s.call('GET', '/api/v1/imports', { token: boss })).body.items.length, importsBefore);
  const dir = join(s.dir, 'files/imports');
  const left = existsSync(dir) ? readdirSync(dir, { recursive: true }).filter((f) => /\.(csv|xlsx)$/.test(f)) : [];
  assert.deepEqual(left, []);
});

test('each limit is named: a cell, the rows, the columns, the shared strings', async () => {
  const cases = [
    [workbook('cell.xlsx', { head: row('客户名称', 'x'.repeat(32768)) }), 'cell_chars', 32767],
    [workbook('wide.xlsx', { head: '<row><c r="XFE1"><v>1</v></c></row>' }), 'columns', 16384],
    [workbook('rows.xlsx', { head: row('客户名称'), randomRows: 1048576 }), 'rows', 1048576],
    [workbook('shared.xlsx', { head: '<row><c t="s"><v>0</v></c></row>', sharedStrings: 1000001 }), 'shared_strings', 1000000],
  ];
  for (const [bytes, limit, max] of cases) {
    const r = await upload(bytes);
    expectError(assert, r, 413, 'spreadsheet_too_large');
    assert.deepEqual([r.body.error.details.limit, r.body.error.details.max], [limit, max]);
  }
});

test('a workbook within the limits imports as before', async () => {
  const ok = workbook('ok.xlsx', { head: row('客户名称', '手机') + row('限额内客户', '13800138123') });
  const r = await upload(ok);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.total_rows, 1);
  assert.deepEqual(r.body.headers, ['客户名称', '手机']);
});

test('what the answer echoes of a file is bounded', async () => {
  const long = '长'.repeat(1000);
  const r = await upload(Buffer.from(`客户名称,备注\r\n宏达,${long}\r\n`), 'long.csv');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.sample[0][1], `${'长'.repeat(200)}…`);
  const header = await upload(Buffer.from(`客户名称,${'列'.repeat(201)}\r\n宏达,1\r\n`), 'header.csv');
  expectError(assert, header, 413, 'spreadsheet_too_large');
  assert.equal(header.body.error.details.limit, 'header_chars');
  const wide = await upload(Buffer.from(`${Array.from({ length: 16385 }, (_, i) => `c${i}`).join(',')}\r\n1\r\n`), 'wide.csv');
  expectError(assert, wide, 413, 'spreadsheet_too_large');
  assert.equal(wide.body.error.details.limit, 'columns');
});

test('a body sent compressed is refused, not read as if it were plain', async () => {
  const r = await s.call('POST', '/api/v1/customers', { token: boss, raw: '{"name": "压缩"}', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
  expectError(assert, r, 415, 'unsupported_content_encoding');
  const up = await s.call('POST', '/api/v1/imports?entity=customers&filename=a.csv', { token: boss, raw: Buffer.from('客户名称\r\n甲\r\n'), headers: { 'content-encoding': 'deflate' } });
  expectError(assert, up, 415, 'unsupported_content_encoding');
});
