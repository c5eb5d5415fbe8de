-- wrk script for bench/hls-serve-bench.sh: HLS viewers asking for the
-- segments of a byte-range media playlist.
--
--   BENCH_PATH=/v/NAME BENCH_RANGES=ranges.txt BENCH_VIEWERS=64 BENCH_THREADS=2 \
--     wrk -t2 -c64 -d3s --timeout 60s -s bench/wrk-hls.lua http://127.0.0.1:8080
--
-- BENCH_RANGES: one segment a line, "LENGTH OFFSET" (an EXT-X-BYTERANGE's
-- LENGTH@OFFSET), in playlist order. Each wrk thread plays BENCH_VIEWERS /
-- threads viewers, each starting at a random segment and asking for the
-- next one after each of its segments, back to the first after the last
-- (a player catching up, with no pause between segments); the thread's
-- requests go to its viewers in turn. The same sequence for every server
-- (a fixed seed per thread). Without BENCH_RANGES every request is a plain
-- GET of BENCH_PATH (the playlist cell). At the end, one line "WRK {json}"
-- as bench/wrk-range.lua writes it (wrk-common.lua).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-common.lua")

local path = os.getenv("BENCH_PATH") or "/"
local ranges_file = os.getenv("BENCH_RANGES")
local viewers_total = tonumber(os.getenv("BENCH_VIEWERS") or "1")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")

local segs = {}
local pos = {}
local turn = 0
local plain

function init(args)
	bench_seed()
	if not ranges_file or ranges_file == "" then
		plain = wrk.format("GET", path)
		return
	end
	for line in io.lines(ranges_file) do
		local len, off = line:match("^(%d+) (%d+)$")
		if len then
			local a = tonumber(off)
			segs[#segs + 1] = "bytes=" .. a .. "-" .. (a + tonumber(len) - 1)
		end
	end
	if #segs == 0 then
		error("wrk-hls.lua: no segments in " .. ranges_file)
	end
	-- wrk gives each thread connections / threads connections: as many
	-- viewers, at least one (BENCH_THREADS: wrk's -t).
	local n = math.max(1, math.floor(viewers_total / nthreads))
	for v = 1, n do
		pos[v] = math.random(1, #segs)
	end
end

function request()
	if plain then
		return plain
	end
	turn = turn % #pos + 1
	local s = pos[turn]
	pos[turn] = s % #segs + 1
	return wrk.format("GET", path, { ["Range"] = segs[s] })
end
