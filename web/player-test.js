#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0
//
// The player page (web/player/, served by vcache-streamer --web) in Debian's
// chromium, headless, driven by puppeteer-core: what a viewer does.
//
//   node web/player-test.js [--secs N] [--tc TIMECODE --frame F] [--shot FILE]
//                           URL NAME
//   node web/player-test.js --live [--secs N] [--behind BYTES/S] [--shot FILE]
//                           URL NAME
//
// Opens URL?v=NAME, plays until the video's time reaches N s (default 5):
// frames decoded, no more than 5 dropped, no fatal hls.js error. With --tc,
// types TIMECODE into the page's timecode box and submits: the page asks the
// streamer (HEAD /v/NAME?t=TIMECODE, the kernel's keyframe index) and jumps
// to the keyframe; that keyframe must be frame F, and the video must play on
// from its time for 2 s.
// With --live, NAME is a live stream being uploaded: the page plays its
// sliding playlist and the video's time must advance N s from where it
// started. With --behind, the tab's network is then throttled to BYTES/S,
// below the stream's rate, until the viewer has fallen out of the window and
// hls.js jumps back to the live edge (a seek the page did not make); then
// the network is restored and the video must play on 4 s.
// Prints TAP, one line per check; exits 1 on a failure.
'use strict';

const path = require('path');
const { createRequire } = require('module');

const root = path.resolve(__dirname, '..');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

const opt = { secs: 5, tc: null, frame: null, shot: null, live: false, behind: null, args: [] };
for (let a = process.argv.slice(2); a.length;) {
	const k = a.shift();
	if (k === '--secs') opt.secs = Number(a.shift());
	else if (k === '--live') opt.live = true;
	else if (k === '--behind') opt.behind = Number(a.shift());
	else if (k === '--tc') opt.tc = a.shift();
	else if (k === '--frame') opt.frame = Number(a.shift());
	else if (k === '--shot') opt.shot = a.shift();
	else opt.args.push(k);
}
const [url, name] = opt.args;
if (!url || !name || !(opt.secs > 0) || (opt.tc !== null && !(opt.frame >= 0)) ||
    (opt.live && opt.tc !== null) || (opt.behind !== null && !(opt.live && opt.behind > 0))) {
	console.error('usage: player-test.js [--secs N] [--tc TC --frame F] [--shot FILE] URL NAME\n' +
		      '       player-test.js --live [--secs N] [--behind BYTES/S] [--shot FILE] URL NAME');
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
				 seeks: window.vcache.seeks, live: window.vcache.live,
				 jumps: window.vcache.jumps, latency: window.vcache.latency,
				 status: document.getElementById('status').textContent };
		});
		const fatal = 'window.vcache.errors.some((e) => e.endsWith("(fatal)"))';
		const until = (cond, secs) => tab.waitForFunction(`(${cond}) || ${fatal}`,
			{ timeout: secs * 1000 }).then(() => true, () => false);

		await tab.goto(`${url}?v=${encodeURIComponent(name)}`);
		const listed = await until(`window.vcache.name === ${JSON.stringify(name)}`, 30);
		check(`the page lists ${name} and starts it`, listed);
		if (opt.live)
			await live(tab, state, until);
		else
			await vod(tab, state, until);
		if (opt.shot)
			await tab.screenshot({ path: opt.shot });
	} finally {
		await browser.close();
	}
	end();
}

function end() {
	console.log(`1..${n}`);
	process.exit(failed ? 1 : 0);
}

// A video: plays, and (--tc) seeks by timecode through the kernel's index.
async function vod(tab, state, until) {
	const played = await until(`document.getElementById('v').currentTime >= ${opt.secs}`,
				   opt.secs + 60);
	let s = await state();
	check(`plays ${opt.secs} s: frames decoded, at most 5 dropped, no fatal error`,
	      played && s.decoded > 0 && s.dropped <= 5 &&
	      noFatal(s), JSON.stringify(s));
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
		      s.time < k.secs + 30 && noFatal(s),
		      JSON.stringify(s));
		await tab.$eval('#tc', (e) => { e.value = '99:99:99:99'; });
		await tab.click('#seek button');
		const said = await until('/not a timecode|past the end/.test(' +
					 'document.getElementById("status").textContent)', 30);
		check('a timecode that does not exist: the page says so', said,
		      (await state()).status);
	}
}

const noFatal = (s) => !s.errors.some((e) => e.endsWith('(fatal)'));

// A live stream: plays, then (--behind) falls out of the window and is
// brought back to the live edge by hls.js.
async function live(tab, state, until) {
	const video = 'document.getElementById("v")';
	const started = await until(`${video}.currentTime > 0 && !${video}.paused`, 60);
	let s = await state();
	const t0 = s.time;
	check('the page plays it as live (its media playlist)', started && s.live, JSON.stringify(s));
	const played = started && await until(`${video}.currentTime >= ${t0 + opt.secs}`,
					      opt.secs + 60);
	s = await state();
	check(`plays ${opt.secs} s of the live stream while it is uploaded: frames decoded, ` +
	      'at most 5 dropped, no fatal error', played && s.decoded > 0 && s.dropped <= 5 &&
	      noFatal(s), JSON.stringify(s));
	if (opt.behind === null)
		return;
	const jumps = s.jumps.length;
	await tab.emulateNetworkConditions({ download: opt.behind, upload: -1, latency: 0 });
	const jumped = await until(`window.vcache.jumps.length > ${jumps}`, 150);
	s = await state();
	/* A segment or more ahead: not one of the small holes hls.js skips. */
	const jump = s.jumps[s.jumps.length - 1] || {};
	check(`throttled to ${opt.behind} bytes/s, the viewer fell out of the window and ` +
	      'hls.js jumped ahead to the live edge', jumped && s.jumps.length > jumps &&
	      jump.to - jump.from >= 2, JSON.stringify(s.jumps.slice(jumps)));
	await tab.emulateNetworkConditions(null);
	const t1 = s.time;
	const on = jumped && await until(`${video}.currentTime >= ${t1 + 4}`, 60);
	s = await state();
	check('network restored: plays on 4 s, no fatal error, near the live edge',
	      on && noFatal(s) && s.latency !== null && s.latency < 15,
	      JSON.stringify(s));
}

main().catch((e) => {
	console.error(`player-test: ${e.stack || e}`);
	process.exit(1);
});
