#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0
//
// Plays an HLS playlist with hls.js in Debian's chromium (headless, driven by
// puppeteer-core) and reports what a viewer would see: the time reached,
// frames decoded and dropped, hls.js's errors; then seeks and plays on.
// Issue 16's browser test will point it at the streamer in the VM; today it
// checks user/lib/hls.c's playlists over the test media (make browser-hls).
//
//   node web/play.js --root DIR PLAYLIST   serve DIR (with Range) and play
//                                          DIR/PLAYLIST from it
//   node web/play.js URL                   play a playlist served elsewhere
//                                          (it must allow this page's origin)
// Options: --secs N (play to N s, default 5), --seek S (then seek to S and
// play 2 s more), --shot FILE (a screenshot, PNG). Prints one JSON line;
// exits 1 if the time was not reached, a frame was not decoded, more than
// 5 frames were dropped or hls.js reported a fatal error.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const { createRequire } = require('module');

const root = path.resolve(__dirname, '..');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

function fail(msg) {
	console.error(`play: ${msg}`);
	process.exit(1);
}

const opt = { secs: 5, seek: null, shot: null, root: null, target: null };
for (let a = process.argv.slice(2); a.length;) {
	const k = a.shift();
	if (k === '--secs') opt.secs = Number(a.shift());
	else if (k === '--seek') opt.seek = Number(a.shift());
	else if (k === '--shot') opt.shot = a.shift();
	else if (k === '--root') opt.root = a.shift();
	else if (!opt.target) opt.target = k;
	else fail(`unexpected argument ${k}`);
}
if (!opt.target || !(opt.secs > 0))
	fail('usage: play.js [--secs N] [--seek S] [--shot FILE] (--root DIR PLAYLIST | URL)');

const req = createRequire(path.join(root, 'build', 'web', 'package.json'));
let puppeteer, hlsFile;
try {
	puppeteer = req('puppeteer-core');
	hlsFile = req.resolve('hls.js/dist/hls.min.js');
} catch (e) {
	fail(`no node modules in build/web (run scripts/install-deps): ${e.message}`);
}

function page(src) {
	return `<!doctype html><html><head><meta charset="utf-8">
<script src="/hls.min.js"></script></head><body>
<video id="v" muted width="640"></video><script>
const v = document.getElementById('v');
window.errs = [];
const h = new Hls();
h.on(Hls.Events.ERROR, (e, d) => window.errs.push(d.details + (d.fatal ? ' (fatal)' : '')));
h.on(Hls.Events.MANIFEST_PARSED, () => v.play());
h.loadSource(${JSON.stringify(src)});
h.attachMedia(v);
</script></body></html>`;
}

// Static files with single byte ranges: what segments as EXT-X-BYTERANGE need.
function serve(dir, res, url) {
	const base = path.resolve(dir);
	const f = path.join(base, path.normalize(decodeURIComponent(url)));

	if (!f.startsWith(base + path.sep) || !fs.existsSync(f) || !fs.statSync(f).isFile()) {
		res.writeHead(404);
		return res.end();
	}
	const size = fs.statSync(f).size;
	const type = f.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
	const m = /^bytes=(\d+)-(\d*)$/.exec(res.req.headers.range || '');
	if (m) {
		const s = Number(m[1]), e = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
		if (s > e) {
			res.writeHead(416, { 'Content-Range': `bytes */${size}` });
			return res.end();
		}
		res.writeHead(206, { 'Content-Type': type, 'Content-Length': e - s + 1,
				     'Content-Range': `bytes ${s}-${e}/${size}` });
		return fs.createReadStream(f, { start: s, end: e }).pipe(res);
	}
	res.writeHead(200, { 'Content-Type': type, 'Content-Length': size });
	fs.createReadStream(f).pipe(res);
}

async function main() {
	const srv = http.createServer((q, res) => {
		const url = q.url.split('?')[0];
		if (url === '/') {
			res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
			res.end(page(opt.root ? `/media/${opt.target}` : opt.target));
		} else if (url === '/hls.min.js') {
			res.writeHead(200, { 'Content-Type': 'text/javascript' });
			fs.createReadStream(hlsFile).pipe(res);
		} else if (opt.root && url.startsWith('/media/')) {
			serve(opt.root, res, url.slice(6));
		} else {
			res.writeHead(404);
			res.end();
		}
	});
	await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
	const browser = await puppeteer.launch({
		executablePath: chromium, headless: true,
		args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
		       '--autoplay-policy=no-user-gesture-required'],
	});
	const out = {};
	try {
		const tab = await browser.newPage();
		const state = () => tab.evaluate(() => {
			const v = document.getElementById('v');
			const q = v.getVideoPlaybackQuality();
			return { time: v.currentTime, decoded: q.totalVideoFrames,
				 dropped: q.droppedVideoFrames, width: v.videoWidth,
				 height: v.videoHeight, errors: window.errs };
		});
		const until = (t) => tab.waitForFunction(
			`document.getElementById('v').currentTime >= ${t} ||
			 window.errs.some((e) => e.endsWith('(fatal)'))`,
			{ timeout: (t + 30) * 1000 });

		await tab.goto(`http://127.0.0.1:${srv.address().port}/`);
		await until(opt.secs);
		out.play = await state();
		if (opt.seek !== null) {
			await tab.evaluate((s) => { document.getElementById('v').currentTime = s; }, opt.seek);
			await until(opt.seek + 2);
			out.seek = await state();
		}
		if (opt.shot)
			await tab.screenshot({ path: opt.shot });
	} finally {
		await browser.close();
		srv.close();
	}
	console.log(JSON.stringify(out));
	const bad = [out.play, out.seek].filter(Boolean).some((s) =>
		!s.decoded || s.dropped > 5 || s.errors.some((e) => e.endsWith('(fatal)')));
	if (bad || out.play.time < opt.secs || (out.seek && out.seek.time < opt.seek + 2))
		process.exit(1);
}

main().catch((e) => fail(e.stack || String(e)));
