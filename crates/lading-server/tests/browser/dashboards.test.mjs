// The dashboards in headless Chromium, as an operator and an admin would use them.
//
// Started by crates/lading-server/tests/browser.rs against a real server over seeded data; it
// passes the address, the users and the ids below in the environment. Each page is
// screenshotted into ARTIFACTS_DIR. Every page is also checked for console errors, which is
// where Chromium reports a Content-Security-Policy violation (an inline style or script).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run this file through cargo test -p lading-server --test browser`);
  return value;
}

const BASE = env('BASE_URL');
const OPERATOR = { username: env('OPERATOR_USER'), password: env('OPERATOR_PASSWORD') };
const ADMIN = { username: env('ADMIN_USER'), password: env('ADMIN_PASSWORD') };
const SYNC_RUN = env('SYNC_RUN_ID');
const IOR_TENANT = env('IOR_TENANT');
const IOR_RUN = env('IOR_RUN_ID');
const ARTIFACTS = env('ARTIFACTS_DIR');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// The flags this machine's Chromium needs as root in a closed network. Playwright gives each
// launch a fresh, empty profile directory of its own.
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let browser;
const problems = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});

after(async () => {
  await browser?.close();
});

/** A fresh browser (no cookies) the size of a 1366×768 laptop screen. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${page.url()}: console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

function noConsoleErrors() {
  assert.deepEqual(problems.splice(0), [], 'no console error and no CSP violation');
}

async function signIn(page, user, next = '/') {
  await page.goto(`${BASE}${next}`);
  assert.match(page.url(), /\/login\?next=/, 'a page without a session sends the browser to sign in');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${BASE}${next}`);
}

let operator;

test('an operator signs in and sees the overview with its charts', async () => {
  operator = await newPage();
  await operator.goto(`${BASE}/`);
  await shot(operator, '01-login');
  await signIn(operator, OPERATOR);
  await assert.doesNotReject(operator.getByRole('heading', { level: 1, name: /Overview/ }).waitFor());
  for (const label of ['Runs', 'Success rate', 'Failed', 'Running']) {
    assert.equal(await operator.locator('.card .label', { hasText: new RegExp(`^${label}$`) }).count(), 1, label);
  }
  const charts = operator.locator('svg[role="img"]');
  assert.equal(await charts.count(), 3);
  for (const name of ['Runs per day', 'Records processed and failed per day', 'Mean run duration per day']) {
    const chart = operator.getByRole('img', { name });
    assert.equal(await chart.count(), 1, name);
    assert.equal(await chart.locator('title').first().textContent(), name);
  }
  assert.ok(await operator.locator('svg rect.bar.ok').count() >= 14, 'a succeeded bar for each of the 14 days');
  assert.ok(await operator.locator('svg rect.bar.fail').count() > 0, 'failed runs are drawn');
  const tenants = operator.locator('table[aria-labelledby="tenants-heading"] tbody tr');
  assert.equal(await tenants.count(), 2);
  await shot(operator, '02-overview');
  // Keyboard: the first Tab reaches the skip link.
  await operator.keyboard.press('Tab');
  assert.equal(await operator.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  noConsoleErrors();
});

test('the operator opens a run from the runs list: steps, quarantined reasons, dead letters', async () => {
  await operator.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  await operator.waitForURL(`${BASE}/runs`);
  await operator.getByLabel('Tenant').selectOption('t1');
  await operator.getByLabel('Pipeline').selectOption('product-sync');
  await operator.getByRole('button', { name: 'Filter' }).click();
  await operator.waitForURL(/\/runs\?tenant=t1&status=&pipeline=product-sync/);
  await shot(operator, '03-runs');
  await operator.locator(`a[href="/runs/${SYNC_RUN}"]`).click();
  await operator.waitForURL(`${BASE}/runs/${SYNC_RUN}`);

  const steps = operator.locator('table[aria-labelledby="steps-heading"] tbody th');
  assert.deepEqual(await steps.allTextContents(), ['extract', 'transform', 'load', 'report']);
  const quarantined = operator.locator('table[aria-labelledby="quarantine-heading"] tbody tr');
  assert.ok(await quarantined.count() > 0, 'the planted invalid records are listed');
  const reasons = await operator.locator('ul.reasons li').allTextContents();
  assert.ok(reasons.length >= await quarantined.count(), 'every quarantined record says why');
  assert.ok(reasons.every((r) => r.includes(':')), `reasons read "field code: message": ${reasons[0]}`);
  const replays = operator.getByRole('button', { name: /^Replay/ });
  assert.equal(await replays.count(), 2, 'the two items Kong refused are dead letters');
  await shot(operator, '04-run-detail');

  await replays.first().click();
  await operator.waitForURL(/\?flash=/);
  const flash = operator.locator('.flash-ok');
  assert.match(await flash.textContent(), /created in kong/);
  assert.equal(await operator.getByRole('button', { name: /^Replay/ }).count(), 1, 'a delivered letter has no button');
  assert.equal(await operator.locator('text=Delivered').count(), 1);
  await shot(operator, '05-run-detail-replayed');
  noConsoleErrors();
});

test('the operator opens the comparison report: discrepancies by severity, both values', async () => {
  await operator.getByRole('link', { name: 'Comparisons' }).click();
  await operator.waitForURL(`${BASE}/comparisons`);
  await shot(operator, '06-comparisons');
  await operator.locator(`a[href="/comparisons/${IOR_TENANT}/${IOR_RUN}"]`).click();
  await operator.waitForURL(`${BASE}/comparisons/${IOR_TENANT}/${IOR_RUN}`);
  assert.match(await operator.locator('h1').textContent(), /Comparison report · ergo\s+failed/);
  assert.match(await operator.locator('.card', { hasText: 'Revenue impact' }).textContent(), /\$/);
  const failing = operator.locator('table.diffs tr.sev-row-fail');
  assert.ok(await failing.count() > 0, 'failing differences are highlighted');
  const first = await failing.first().locator('td').allTextContents();
  // Field, generated, reported sit side by side; the severity is written, not only coloured.
  assert.ok(first.some((cell) => cell.trim() === 'fail'), first.join(' | '));
  const headers = await operator.locator('table.diffs').first().locator('thead th').allTextContents();
  assert.ok(headers.includes('Generated (Lading)') && headers.includes('Reported (ERP)'), headers.join(', '));
  assert.ok(await operator.locator('section.entry-fail').count() > 0);
  await shot(operator, '07-comparison-report');
  noConsoleErrors();
});

test('the customs lines show the Chapter 99 stack, filter, and link the CSV', async () => {
  await operator.getByRole('link', { name: 'Customs lines' }).click();
  await operator.waitForURL(`${BASE}/customs-lines`);
  const lines = operator.locator('table.customs tbody tr');
  assert.equal(await lines.count(), 50, 'a page of 50 lines');
  assert.equal(await operator.locator('ol.hts-stack li.commodity').count(), 50, 'each line ends on its commodity');
  const csv = await operator.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
  assert.match(csv, /^\/api\/customs-lines\?format=csv&tenant=ergo/);
  await shot(operator, '08-customs-lines');

  // The CSV is every matching line, downloaded with the session cookie.
  const total = Number((await operator.getByRole('status').textContent()).match(/of ([\d,]+)/)[1].replace(/,/g, ''));
  const [download] = await Promise.all([
    operator.waitForEvent('download'),
    operator.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'customs-lines-ergo.csv');
  const file = join(ARTIFACTS, 'customs-lines-ergo.csv');
  await download.saveAs(file);
  // One row per HTS number of a line: the distinct (entry, line, part) are the lines.
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  assert.match(header, /^entry_number,entry_date,line_number,part,seq,hts_number,programme,/);
  const csvLines = new Set(rows.map((row) => row.split(',').filter((_, i) => [0, 2, 3].includes(i)).join('/')));
  assert.equal(csvLines.size, total, 'every line of the filter is in the CSV');

  // Filter by a Chapter 99 number one of the lines carries.
  const chapter99 = await operator.locator('ol.hts-stack li:not(.commodity) code').first().textContent();
  await operator.getByLabel('HTS number').fill(chapter99);
  await operator.getByRole('button', { name: 'Filter' }).click();
  await operator.waitForURL(/hts=/);
  const stacks = await operator.locator('ol.hts-stack').allTextContents();
  assert.ok(stacks.length > 0 && stacks.every((s) => s.includes(chapter99)), `every line carries ${chapter99}`);

  // A bad filter value is a message on the page with a 400, not a server error.
  const response = await operator.goto(`${BASE}/customs-lines?from=yesterday`);
  assert.equal(response.status(), 400);
  assert.match(await operator.getByRole('alert').textContent(), /from "yesterday" must be a date/);
  await shot(operator, '09-customs-lines-bad-filter');
  problems.splice(0); // the 400 itself is logged as a failed resource
});

test('the tenants page lists both flows; an operator cannot switch them', async () => {
  await operator.goto(`${BASE}/tenants`);
  const rows = await operator.locator('tbody th[scope="row"]').allTextContents();
  assert.deepEqual(rows.map((r) => r.trim()), ['ergo', 't1']);
  assert.equal(await operator.getByRole('button', { name: /^(Enable|Disable)/ }).count(), 0);
  await shot(operator, '10-tenants-operator');
  noConsoleErrors();
});

test('an operator cannot reach the admin pages', async () => {
  assert.equal(await operator.getByRole('link', { name: 'Users' }).count(), 0, 'no Users tab');
  const response = await operator.goto(`${BASE}/users`);
  assert.equal(response.status(), 403);
  assert.match(await operator.getByRole('alert').textContent(), /needs the admin role/);
  await shot(operator, '11-users-forbidden');
  problems.splice(0);
});

test('signing out ends the session', async () => {
  await operator.goto(`${BASE}/`);
  await operator.getByRole('button', { name: 'Sign out' }).click();
  await operator.waitForURL(`${BASE}/login`);
  await operator.goto(`${BASE}/`);
  assert.match(operator.url(), /\/login\?next=%2F$|\/login\?next=\/$/);
  await shot(operator, '12-signed-out');
  await operator.context().close();
  noConsoleErrors();
});

test('an admin manages users and tenants', async () => {
  const admin = await newPage();
  await signIn(admin, ADMIN, '/users');
  const users = await admin.locator('tbody th[scope="row"]').allTextContents();
  assert.ok(users.some((u) => u.startsWith(ADMIN.username)) && users.some((u) => u.startsWith(OPERATOR.username)));
  await admin.getByLabel('Username').fill('grace');
  await admin.getByLabel('Role').selectOption('operator');
  await admin.getByLabel(/^Password/).fill('a long enough password');
  await admin.getByRole('button', { name: 'Add user' }).click();
  await admin.waitForURL(/\/users\?flash=/);
  assert.match(await admin.locator('.flash-ok').textContent(), /added grace as operator/);
  await shot(admin, '13-users-admin');

  await admin.getByRole('link', { name: 'Tenants' }).click();
  await admin.getByRole('button', { name: 'Disable product-sync of t1' }).click();
  await admin.waitForURL(/\/tenants\?flash=/);
  assert.match(await admin.locator('.flash-ok').textContent(), /product-sync of tenant t1 disabled/);
  await admin.getByRole('button', { name: 'Enable product-sync of t1' }).click();
  await admin.waitForURL(/\/tenants\?flash=/);
  await shot(admin, '14-tenants-admin');
  await admin.context().close();
  noConsoleErrors();
});
