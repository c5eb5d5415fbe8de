// SPDX-License-Identifier: GPL-2.0
//
// vcache's player page. Lists the cache (GET /v/), plays a video with hls.js
// from its playlists (/hls/NAME/master.m3u8, computed from the kernel's
// keyframe index), and seeks by SMPTE timecode: HEAD /v/NAME?t=TC asks the
// kernel's index (VCACHE_IOC_LOOKUP) for the keyframe at or before it, and
// the video jumps to that keyframe's time, so the picture shown is the one
// the cache would start a ?t= download with. HH:MM:SS;FF is drop-frame.
// A live stream plays from its sliding playlist (/hls/NAME/index.m3u8);
// when the viewer falls out of its window, hls.js jumps back to the live
// edge: those jumps (seeks the page did not make) are recorded.
// State for tests and curious people: window.vcache.
'use strict';

const $ = (id) => document.getElementById(id);
const video = $('v');
const state = window.vcache = {
	name: null, live: false, fps: null, errors: [], seeks: [], jumps: [], latency: null,
};
let hls = null;
let lastTime = 0, pageSeek = false;

video.addEventListener('timeupdate', () => {
	lastTime = video.currentTime;
	if (hls && state.live)
		state.latency = hls.latency;
});
video.addEventListener('seeking', () => {
	if (!pageSeek)
		state.jumps.push({ from: lastTime, to: video.currentTime });
	pageSeek = false;
	lastTime = video.currentTime;
});

function status(text, bad) {
	$('status').textContent = text;
	$('status').className = bad ? 'error' : '';
}

function play(v) {
	if (hls)
		hls.destroy();
	state.name = v.name;
	state.live = v.state !== 'sealed';
	state.fps = v.fps_num && v.fps_den ? v.fps_num / v.fps_den : null;
	state.errors = [];
	state.jumps = [];
	$('now').textContent = state.live ? `${v.name}: live at ${v.fps} frames/s` :
		`${v.name}: ${v.duration} s at ${v.fps} frames/s`;
	/* A live stream has its media playlist only (no master, no I-frames). */
	const src = `/hls/${encodeURIComponent(v.name)}/${state.live ? 'index' : 'master'}.m3u8`;
	if (window.Hls && Hls.isSupported()) {
		hls = new Hls();
		hls.on(Hls.Events.ERROR, (e, d) =>
			state.errors.push(d.details + (d.fatal ? ' (fatal)' : '')));
		hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
		hls.loadSource(src);
		hls.attachMedia(video);
	} else {
		video.src = src;	/* Safari plays HLS itself */
		video.play();
	}
}

async function list() {
	const t = $('videos');
	try {
		const r = await fetch('/v/', { cache: 'no-cache' });
		if (!r.ok)
			throw new Error(`GET /v/: ${r.status} ${await r.text()}`);
		const videos = (await r.json()).videos.filter((v) => v.state !== 'loading');
		t.textContent = '';
		if (!videos.length)
			t.insertRow().insertCell().textContent = 'no video or live stream in the cache';
		for (const v of videos) {
			const row = t.insertRow();
			const a = document.createElement('a');
			a.textContent = v.name;
			a.onclick = () => play(v);
			row.insertCell().appendChild(a);
			row.insertCell().textContent = v.state === 'sealed' ? `${v.duration} s` : v.state;
			row.insertCell().textContent = `${(v.size / 1048576).toFixed(1)} MiB`;
		}
		const want = new URLSearchParams(location.search).get('v');
		const first = videos.find((v) => v.name === want) || (want ? null : videos[0]);
		if (first)
			play(first);
	} catch (e) {
		t.textContent = '';
		t.insertRow().insertCell().textContent = String(e);
	}
}

async function seek(ev) {
	ev.preventDefault();
	const tc = $('tc').value.trim();
	if (!state.name || !state.fps || state.live)
		return status('choose a video (not a live stream) with a frame rate first', true);
	const r = await fetch(`/v/${encodeURIComponent(state.name)}?t=${encodeURIComponent(tc)}`,
			      { method: 'HEAD', cache: 'no-cache' });
	const frame = r.headers.get('X-Vcache-Frame');
	if (!r.ok || frame === null)
		return status(`${tc}: ${r.status} ${r.status === 400 ? 'not a timecode of this video' :
			      r.status === 416 ? 'past the end' : r.statusText}`, true);
	const key = r.headers.get('X-Vcache-Timecode');
	const secs = Number(frame) / state.fps;
	state.seeks.push({ tc, key, frame: Number(frame), secs });
	pageSeek = true;
	video.currentTime = secs;
	video.play();
	status(`${tc} → keyframe ${key} (frame ${frame}, ${secs.toFixed(3)} s)`);
}

$('seek').addEventListener('submit', seek);
list();
