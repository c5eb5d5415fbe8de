-- wrk script for bench/serve-bench.sh: GET BENCH_PATH with a Range header
-- of BENCH_CHUNK bytes at a random offset in a file of BENCH_SIZE bytes;
-- at the end, one line "WRK {json}" with what the report needs
-- (wrk-common.lua).
--
--   BENCH_PATH=/v/x BENCH_SIZE=268435456 BENCH_CHUNK=262144 \
--     wrk -t2 -c8 -d5s --timeout 60s -s bench/wrk-range.lua http://127.0.0.1:8080

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-common.lua")

local path = os.getenv("BENCH_PATH") or "/"
local size = tonumber(os.getenv("BENCH_SIZE") or "0")
local chunk = tonumber(os.getenv("BENCH_CHUNK") or "0")

function init(args)
	bench_seed()
end

function request()
	-- Offsets in whole pages, as a player asking for segments does.
	local pages = math.floor((size - chunk) / 4096)
	local a = math.random(0, pages) * 4096
	return wrk.format("GET", path, { ["Range"] = "bytes=" .. a .. "-" .. (a + chunk - 1) })
end
