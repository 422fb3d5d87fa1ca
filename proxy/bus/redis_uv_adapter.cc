#include "proxy/bus/redis_uv_adapter.h"

namespace holdfast {
namespace {

struct Watch {
  uv_poll_t poll;
  redisAsyncContext* ac;
  int events;
};

void on_poll(uv_poll_t* handle, int status, int events) {
  auto* w = static_cast<Watch*>(handle->data);
  if (w->ac == nullptr) return;
  if (status < 0) {
    // libuv has stopped the handle; what hiredis asks for next must start it again.
    const int watched = w->events;
    w->events = 0;
    // Let hiredis find the socket error itself: while connecting, a write event makes it check
    // SO_ERROR and call the connect callback; once connected, a read sees the reset.
    if (watched & UV_WRITABLE) {
      redisAsyncHandleWrite(w->ac);
    } else {
      redisAsyncHandleRead(w->ac);
    }
    return;
  }
  if (events & UV_READABLE) redisAsyncHandleRead(w->ac);
  // Reading may have freed the context (a disconnect), which clears w->ac through cleanup.
  if (w->ac != nullptr && (events & UV_WRITABLE)) redisAsyncHandleWrite(w->ac);
}

// hiredis asks for write events on every command. uv_poll_start on a started handle takes the
// descriptor out of epoll and puts it back on the next loop turn, two epoll_ctl calls per
// command, so only a change of events reaches libuv.
void update(Watch* w, int add, int remove) {
  const int events = (w->events | add) & ~remove;
  if (events == w->events) return;
  w->events = events;
  if (w->events != 0) {
    uv_poll_start(&w->poll, w->events, on_poll);
  } else {
    uv_poll_stop(&w->poll);
  }
}

void add_read(void* p) {
  update(static_cast<Watch*>(p), UV_READABLE, 0);
}
void del_read(void* p) {
  update(static_cast<Watch*>(p), 0, UV_READABLE);
}
void add_write(void* p) {
  update(static_cast<Watch*>(p), UV_WRITABLE, 0);
}
void del_write(void* p) {
  update(static_cast<Watch*>(p), 0, UV_WRITABLE);
}

void cleanup(void* p) {
  auto* w = static_cast<Watch*>(p);
  w->ac = nullptr;
  uv_poll_stop(&w->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll),
           [](uv_handle_t* h) { delete static_cast<Watch*>(h->data); });
}

}  // namespace

bool attach_redis_to_uv(redisAsyncContext* ac, uv_loop_t* loop) {
  if (ac->ev.data != nullptr) return false;
  auto* w = new Watch{};
  if (uv_poll_init(loop, &w->poll, ac->c.fd) != 0) {
    delete w;
    return false;
  }
  w->poll.data = w;
  w->ac = ac;
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
  ac->ev.data = w;
  return true;
}

}  // namespace holdfast
