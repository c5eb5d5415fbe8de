#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0
//
// Smoke test of the browser tooling (issue 16): Debian's chromium, headless,
// driven by puppeteer-core, opens a page from a small local HTTP server that
// loads hls.js from build/web/node_modules, and prints hls.js's version and
// whether the browser has Media Source Extensions (Hls.isSupported()).
// Nothing is fetched from outside: the page, hls.js and the browser are all
// local.
//
//   node web/smoke.js          (make browser-smoke; scripts/install-deps first)
//
// CHROMIUM=path overrides /usr/bin/chromium. Exits 0 with one line
// "hls.js VERSION, MSE yes|no, CHROME-VERSION" on success, 1 otherwise.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const { createRequire } = require('module');

const root = path.resolve(__dirname, '..');
const modules = path.join(root, 'build', 'web');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

function fail(msg) {
	console.error(`browser-smoke: ${msg}`);
	process.exit(1);
}

let puppeteer;
let hlsFile;
try {
	const req = createRequire(path.join(modules, 'package.json'));
	puppeteer = req('puppeteer-core');
	hlsFile = req.resolve('hls.js/dist/hls.min.js');
} catch (e) {
	fail(`no node modules in ${modules} (run scripts/install-deps): ${e.message}`);
}
if (!fs.existsSync(chromium))
	fail(`no ${chromium} (scripts/install-deps installs Debian's chromium)`);

const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>vcache smoke</title>
<script src="/hls.min.js"></script></head>
<body><video id="v" muted></video>
<script>
window.smoke = { version: Hls.version, mse: Hls.isSupported() };
</script></body></html>`;

const server = http.createServer((req, res) => {
	if (req.url === '/') {
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end(page);
	} else if (req.url === '/hls.min.js') {
		res.writeHead(200, { 'Content-Type': 'text/javascript' });
		fs.createReadStream(hlsFile).pipe(res);
	} else {
		res.writeHead(404);
		res.end();
	}
});

async function main() {
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${server.address().port}/`;
	const browser = await puppeteer.launch({
		executablePath: chromium,
		headless: true,
		// Root in a container: no user namespaces for the sandbox, and a
		// small /dev/shm.
		args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
		timeout: 60000,
	});
	try {
		const tab = await browser.newPage();
		const errors = [];

		tab.on('pageerror', (e) => errors.push(e.message));
		await tab.goto(url, { waitUntil: 'load', timeout: 30000 });
		await tab.waitForFunction('window.smoke !== undefined', { timeout: 30000 });
		const r = await tab.evaluate(() => window.smoke);
		if (errors.length)
			fail(`page errors: ${errors.join('; ')}`);
		console.log(`hls.js ${r.version}, MSE ${r.mse ? 'yes' : 'no'}, ${await browser.version()}`);
	} finally {
		await browser.close();
		server.close();
	}
}

main().catch((e) => fail(e.stack || String(e)));
