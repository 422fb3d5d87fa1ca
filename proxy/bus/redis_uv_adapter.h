// hiredis on a libuv loop. Unlike the adapter hiredis ships, a poll error (a refused or reset
// connection) is handed to hiredis as an event, so it reports the failure through the connect
// or disconnect callback instead of the connection hanging forever.
#pragma once

#include <hiredis/async.h>
#include <uv.h>

namespace holdfast {

// Attaches `ac` to `loop`. Returns false if it is already attached or the fd cannot be polled.
bool attach_redis_to_uv(redisAsyncContext* ac, uv_loop_t* loop);

}  // namespace holdfast
