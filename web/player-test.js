#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0
//
// The player page (web/player/, served by vcache-streamer --web) in Debian's
// chromium, headless, driven by puppeteer-core: what a viewer does.
//
//   node web/player-test.js [--secs N] [--tc TIMECODE --frame F] [--shot FILE]
//                           URL NAME
//
// Opens URL?v=NAME, plays until the video's time reaches N s (default 5):
// frames decoded, no more than 5 dropped, no fatal hls.js error. With --tc,
// types TIMECODE into the page's timecode box and submits: the page asks the
// streamer (HEAD /v/NAME?t=TIMECODE, the kernel's keyframe index) and jumps
// to the keyframe; that keyframe must be frame F, and the video must play on
// from its time for 2 s. Prints TAP, one line per check; exits 1 on a failure.
'use strict';

const path = require('path');
const { createRequire } = require('module');

const root = path.resolve(__dirname, '..');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

const opt = { secs: 5, tc: null, frame: null, shot: null, args: [] };
for (let a = process.argv.slice(2); a.length;) {
	const k = a.shift();
	if (k === '--secs') opt.secs = Number(a.shift());
	else if (k === '--tc') opt.tc = a.shift();
	else if (k === '--frame') opt.frame = Number(a.shift());
	else if (k === '--shot') opt.shot = a.shift();
	else opt.args.push(k);
}
const [url, name] = opt.args;
if (!url || !name || !(opt.secs > 0) || (opt.tc !== null && !(opt.frame >= 0))) {
	console.error('usage: player-test.js [--secs N] [--tc TC --frame F] [--shot FILE] URL NAME');
	process.exit(2);
}

let puppeteer;
try {
	puppeteer = createRequire(path.join(root, 'build', 'web', 'package.json'))('puppeteer-core');
} catch (e) {
	console.error(`player-test: no node modules in build/web (run scripts/install-deps): ${e.message}`);
	process.exit(2);
}

let n = 0, failed = 0;
function check(title, good, detail) {
	n++;
	if (!good)
		failed++;
	console.log(`${good ? 'ok' : 'not ok'} ${n} ${title}${detail ? ` # ${detail}` : ''}`);
}

async function main() {
	const browser = await puppeteer.launch({
		executablePath: chromium, headless: true,
		args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
		       '--autoplay-policy=no-user-gesture-required'],
	});
	try {
		const tab = await browser.newPage();
		const state = () => tab.evaluate(() => {
			const v = document.getElementById('v');
			const q = v.getVideoPlaybackQuality();
			return { name: window.vcache.name, time: v.currentTime,
				 decoded: q.totalVideoFrames, dropped: q.droppedVideoFrames,
				 width: v.videoWidth, errors: window.vcache.errors,
				 seeks: window.vcache.seeks,
				 status: document.getElementById('status').textContent };
		});
		const fatal = 'window.vcache.errors.some((e) => e.endsWith("(fatal)"))';
		const until = (cond, secs) => tab.waitForFunction(`(${cond}) || ${fatal}`,
			{ timeout: secs * 1000 }).then(() => true, () => false);

		await tab.goto(`${url}?v=${encodeURIComponent(name)}`);
		const listed = await until(`window.vcache.name === ${JSON.stringify(name)}`, 30);
		check(`the page lists ${name} and starts it`, listed);
		const played = await until(`document.getElementById('v').currentTime >= ${opt.secs}`,
					   opt.secs + 60);
		let s = await state();
		check(`plays ${opt.secs} s: frames decoded, at most 5 dropped, no fatal error`,
		      played && s.decoded > 0 && s.dropped <= 5 &&
		      !s.errors.some((e) => e.endsWith('(fatal)')), JSON.stringify(s));
		if (opt.tc !== null) {
			await tab.$eval('#tc', (e, tc) => { e.value = tc; }, opt.tc);
			await tab.click('#seek button');
			const sought = await until('window.vcache.seeks.length > 0', 30);
			s = await state();
			const k = s.seeks[0] || {};
			check(`timecode ${opt.tc} finds keyframe frame ${opt.frame} in the index`,
			      sought && k.frame === opt.frame, JSON.stringify(k));
			const on = sought && await until(`document.getElementById('v').currentTime >= ${k.secs + 2}`,
						      60);
			s = await state();
			check('plays on from that keyframe\'s time (2 s)', on && s.time >= k.secs + 2 &&
			      s.time < k.secs + 30 && !s.errors.some((e) => e.endsWith('(fatal)')),
			      JSON.stringify(s));
			await tab.$eval('#tc', (e) => { e.value = '99:99:99:99'; });
			await tab.click('#seek button');
			const said = await until('/not a timecode|past the end/.test(' +
						 'document.getElementById("status").textContent)', 30);
			check('a timecode that does not exist: the page says so', said,
			      (await state()).status);
		}
		if (opt.shot)
			await tab.screenshot({ path: opt.shot });
	} finally {
		await browser.close();
	}
	console.log(`1..${n}`);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.error(`player-test: ${e.stack || e}`);
	process.exit(1);
});
