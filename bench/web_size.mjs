// The JavaScript a browser downloads for the app's first routes, gzip-compressed as a server
// would send it, beside the whole app's JavaScript in one piece (what a build without route
// splitting would send). Usage: node bench/web_size.mjs URL TENANT LOGIN PASSWORD
// Prints JSON. Drives Debian's chromium with playwright-core, as the browser tests do.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch } from '../tests/e2e/browser.mjs';
import { root } from '../tests/api/harness.mjs';

const [url, tenant, login, password] = process.argv.slice(2);
const assets = join(root, 'web/dist/assets');
const gz = (file) => gzipSync(readFileSync(join(assets, file)), { level: 6 }).length;

async function scriptsOf(page, action) {
  const seen = new Set();
  const onResponse = (r) => {
    const m = /\/assets\/([^/?]+\.js)$/.exec(new URL(r.url()).pathname);
    if (m) seen.add(m[1]);
  };
  page.on('response', onResponse);
  await action();
  await page.waitForLoadState('networkidle');
  page.off('response', onResponse);
  return [...seen];
}

const browser = await launch();
try {
  const page = await (await browser.newContext({ baseURL: url })).newPage();
  const loginFiles = await scriptsOf(page, () => page.goto('/login'));
  const dashboardFiles = await scriptsOf(page, async () => {
    await page.getByLabel('企业代码').fill(tenant);
    await page.getByLabel('登录名').fill(login);
    await page.getByLabel('密码', { exact: true }).fill(password);
    await page.getByRole('button', { name: /登 ?录/ }).click();
    await page.locator('canvas').first().waitFor();
  });
  const sum = (files) => files.reduce((n, f) => n + gz(f), 0);
  const all = readdirSync(assets).filter((f) => f.endsWith('.js'));
  const kb = (b) => Math.round((b / 1024) * 10) / 10;
  console.log(JSON.stringify({
    login_gzip_kb: kb(sum(loginFiles)),
    login_files: loginFiles.length,
    dashboard_gzip_kb: kb(sum([...new Set([...loginFiles, ...dashboardFiles])])),
    all_js_gzip_kb: kb(sum(all)),
    all_js_files: all.length,
  }));
} finally {
  await browser.close();
}
