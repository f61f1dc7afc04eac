-- The peers' webhook.lua with a pause before each request, so a fixed number of connections offers a
-- steady rate (wrk has no rate option): rate ≈ connections × 1000 / (PACE_MS + latency).
dofile(os.getenv("WEBHOOK_LUA"))
local pace = tonumber(os.getenv("PACE_MS") or "0")
function delay()
  return pace
end
