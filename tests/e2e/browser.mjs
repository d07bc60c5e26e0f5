// The browser side of the end-to-end tests: Debian's chromium driven by playwright-core,
// against a real kelu (tests/api/harness.mjs) serving the built app from web/dist.
// Screenshots of the main screens go to docs/screenshots/ (shown in the README).
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, startServer } from '../api/harness.mjs';

export const screenshots = join(root, 'docs/screenshots');
const executablePath = process.env.KELU_CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

// A kelu serving the app, on the test clock when asked.
export function startApp(options = {}) {
  const web = process.env.KELU_TEST_WEB_DIR || join(root, 'web/dist');
  return startServer({ ...options, env: { KELU_SERVER_WEB_DIR: web, ...(options.env || {}) } });
}

// A fresh browser context (its own cookies) in zh-CN or en, desktop or phone sized.
export async function newPage(browser, server, { locale = 'zh-CN', phone = false } = {}) {
  const context = await browser.newContext({
    baseURL: server.url,
    locale,
    timezoneId: 'Asia/Shanghai',
    viewport: phone ? { width: 390, height: 844 } : { width: 1366, height: 900 },
    deviceScaleFactor: 1,
  });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  if (locale === 'en') await page.addInitScript(() => localStorage.setItem('kelu.locale', 'en'));
  page.problems = problems;
  return page;
}

export async function signIn(page, server, role = 'boss') {
  const u = server.demo.tenant.users.find((x) => x.role === role || x.login === role);
  await page.goto('/login');
  await page.getByLabel(/企业代码|Company code/).fill('demo');
  await page.getByLabel(/^(登录名|Login)$/).fill(u.login);
  await page.getByLabel(/^(密码|Password)$/).fill(u.password);
  await page.getByRole('button', { name: /^(登 ?录|Sign in)$/ }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await page.locator('.app-header').waitFor(); // the app's frame is loaded and listening
  return u;
}

export async function signInOperator(page, server) {
  await page.goto('/operator/login');
  await page.getByLabel('邮箱').fill(server.demo.operator.email);
  await page.getByLabel('密码', { exact: true }).fill(server.demo.operator.password);
  await page.getByRole('button', { name: /登 ?录/ }).click();
  // Operators always sign in in two steps: the code of this moment, by the service's clock.
  // When this moment's codes are spent (two sign-ins within 30 seconds), a recovery code.
  await page.getByLabel('验证码').waitFor();
  const code = server.freshCode(server.demo.operator.totp_secret, await server.call('GET', '/healthz'));
  if (code) {
    await page.getByLabel('验证码').fill(code);
  } else {
    await page.getByRole('button', { name: '手机不在身边？使用恢复码' }).click();
    await page.getByLabel('恢复码').fill(server.demo.operator.recovery_codes.pop());
  }
  await page.getByRole('button', { name: /^验 ?证$/ }).click();
  await page.locator('.app-header').waitFor(); // the console's frame is loaded
}

export async function shoot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

// Chooses an entry in the open Ant Design select dropdown.
export async function pickOption(page, text) {
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first().click();
}

// WCAG 2.1 A and AA violations on the page, by axe-core (contrast, names, roles, focus), each
// as "rule: element". Ant Design's table keeps a hidden row for measuring column widths, which
// axe reads as hidden focusable content; nobody can reach it, so it is left out.
const axeSource = readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');
export async function accessibilityViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run({ exclude: [['.ant-table-measure-row']] }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.html.slice(0, 120)} ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`));
}
