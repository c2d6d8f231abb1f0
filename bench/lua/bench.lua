-- wrk script for anvil's benchmark: one request shape, spread over N nodes.
--
--   wrk -t C -c C ... -s bench.lua URL -- VERB PATH NODES C PREFIX [BODY] [HEADER]
--
-- PATH may contain "{node}", replaced by node names PREFIX%05d (bench-00042). Run with as
-- many threads as connections (-t C -c C): each thread has one connection,
-- so thread k cycles over nodes k, k+C, k+2C, ... (no two requests in flight
-- on one node unless NODES < C), and request/response strictly alternate,
-- which lets this script time each request by its status code.
-- done() prints one line "BENCH_JSON {...}" for bench/wrk.py.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
   ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   verb = args[1] or "GET"
   path = args[2] or "/"
   nodes = tonumber(args[3] or "1")
   stride = tonumber(args[4] or "1")
   prefix = args[5] or "bench-"
   body = args[6]
   if body == "" then body = nil end
   headers = {["X-OpenStack-Ironic-API-Version"] = "latest"}
   if body then headers["Content-Type"] = "application/json" end
   -- one extra "Name: value" header, e.g. credentials (bench/auth_cost.py)
   local name, value = (args[7] or ""):match("^([^:]+):%s*(.*)$")
   if name then headers[name] = value end
   index = id
   statuses = {}  -- flat tables only: wrk's thread:get() cannot copy nested ones
   started = nil
end

function request()
   local name = string.format("%s%05d", prefix, index % nodes)
   index = index + stride
   started = now_us()
   return wrk.format(verb, string.gsub(path, "{node}", name), headers, body)
end

function response(status, hdrs, resp_body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if started then
      local samples = _G["lat_" .. key]
      if samples == nil then samples = {}; _G["lat_" .. key] = samples end
      samples[#samples + 1] = now_us() - started
      started = nil
   end
end

local function pct(sorted, q)
   if #sorted == 0 then return nil end
   local i = math.floor(q * #sorted) + 1
   if i > #sorted then i = #sorted end
   return sorted[i]
end

function done(summary, latency, requests)
   local codes = {}
   local by_status = {}
   for _, t in ipairs(threads) do
      for k, v in pairs(t:get("statuses") or {}) do codes[k] = (codes[k] or 0) + v end
   end
   for k, _ in pairs(codes) do
      local all = {}
      for _, t in ipairs(threads) do
         for _, s in ipairs(t:get("lat_" .. k) or {}) do all[#all + 1] = s end
      end
      by_status[k] = all
   end
   local parts = {}
   for k, v in pairs(codes) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
   local lparts = {}
   for k, all in pairs(by_status) do
      table.sort(all)
      lparts[#lparts + 1] = string.format(
         '"%s": {"p50": %.1f, "p90": %.1f, "p99": %.1f, "max": %.1f, "n": %d}', k,
         pct(all, 0.5), pct(all, 0.9), pct(all, 0.99), all[#all], #all)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
      '"codes": {%s}, "latency_by_status_us": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean, table.concat(parts, ", "), table.concat(lparts, ", ")))
end
