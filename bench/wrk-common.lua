-- Shared by the wrk scripts of bench/ (wrk-range.lua, wrk-hls.lua,
-- wrk-count.lua), loaded with dofile() from the script's own folder:
-- thread ids and a fixed seed per thread, and the report line.

local threads = 0

-- Each thread its id (1, 2, ...), for its seed.
function setup(thread)
	threads = threads + 1
	thread:set("id", threads)
end

-- Each thread its own sequence, the same in every run.
function bench_seed()
	math.randomseed(4242 + (id or 0))
end

-- At the end, one line "WRK {json}" with what the reports need.
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
