-- wrk script for bench/serve-bench.sh: GET BENCH_PATH with a Range header
-- of BENCH_CHUNK bytes at a random offset in a file of BENCH_SIZE bytes;
-- at the end, one line "WRK {json}" with what the report needs.
--
--   BENCH_PATH=/v/x BENCH_SIZE=268435456 BENCH_CHUNK=262144 \
--     wrk -t2 -c8 -d5s --timeout 60s -s bench/wrk-range.lua http://127.0.0.1:8080

local path = os.getenv("BENCH_PATH") or "/"
local size = tonumber(os.getenv("BENCH_SIZE") or "0")
local chunk = tonumber(os.getenv("BENCH_CHUNK") or "0")

local threads = 0

function setup(thread)
	threads = threads + 1
	thread:set("id", threads)
end

function init(args)
	-- Each thread its own sequence, the same in every cell.
	math.randomseed(4242 + (id or 0))
end

function request()
	-- Offsets in whole pages, as a player asking for segments does.
	local pages = math.floor((size - chunk) / 4096)
	local a = math.random(0, pages) * 4096
	return wrk.format("GET", path, { ["Range"] = "bytes=" .. a .. "-" .. (a + chunk - 1) })
end

function done(summary, latency, requests)
	local e = summary.errors
	local p50, p99 = -1, -1
	if summary.requests > 0 then
		p50 = latency:percentile(50)
		p99 = latency:percentile(99)
	end
	io.write(string.format(
		'WRK {"requests":%d,"bytes":%d,"duration_us":%d,"p50_us":%.0f,"p99_us":%.0f,' ..
		'"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
		summary.requests, summary.bytes, summary.duration, p50, p99,
		e.connect, e.read, e.write, e.status, e.timeout))
end
