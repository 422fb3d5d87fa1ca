#include "proxy/bus/redis_uv_adapter.h"

namespace holdfast {
namespace {

struct Watch {
  uv_poll_t poll;
  uv_check_t flush;  // writes the commands a loop turn queued, once its I/O callbacks are done;
                     // active while such commands wait
  uv_idle_t nudge;   // keeps the next poll from blocking while a flush waits
  redisAsyncContext* ac;
  int events;
  bool flushing;
  int open_handles;
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

// uv_poll_start on a started handle takes the descriptor out of epoll and puts it back on the
// next loop turn, two epoll_ctl calls, so only a change of events reaches libuv.
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

void flush(Watch* w) {
  uv_check_stop(&w->flush);
  uv_idle_stop(&w->nudge);
  if (w->ac == nullptr) return;
  w->flushing = true;
  redisAsyncHandleWrite(w->ac);  // what the socket does not take asks for a write event
  w->flushing = false;           // w outlives a disconnect here: its handles close later
}

void add_read(void* p) {
  update(static_cast<Watch*>(p), UV_READABLE, 0);
}
void del_read(void* p) {
  update(static_cast<Watch*>(p), 0, UV_READABLE);
}

// hiredis asks for a write event on every command. A connected socket almost always takes what a
// loop turn queued, so instead of polling for writability (an epoll change each way and a loop
// turn before the first byte goes) the turn's commands are written once its callbacks are done.
// Only while connecting, or when a write left bytes behind, does the poll wait for writability.
void add_write(void* p) {
  auto* w = static_cast<Watch*>(p);
  if (w->flushing || (w->ac->c.flags & REDIS_CONNECTED) == 0) {
    update(w, UV_WRITABLE, 0);
    return;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&w->flush)) || (w->events & UV_WRITABLE) != 0) {
    return;
  }
  uv_check_start(&w->flush, [](uv_check_t* h) { flush(static_cast<Watch*>(h->data)); });
  uv_idle_start(&w->nudge, [](uv_idle_t* h) { flush(static_cast<Watch*>(h->data)); });
}
void del_write(void* p) {
  update(static_cast<Watch*>(p), 0, UV_WRITABLE);
}

void closed(uv_handle_t* h) {
  auto* w = static_cast<Watch*>(h->data);
  if (--w->open_handles == 0) delete w;
}

void cleanup(void* p) {
  auto* w = static_cast<Watch*>(p);
  w->ac = nullptr;
  uv_poll_stop(&w->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->flush), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->nudge), closed);
}

}  // namespace

bool attach_redis_to_uv(redisAsyncContext* ac, uv_loop_t* loop) {
  if (ac->ev.data != nullptr) return false;
  auto* w = new Watch{};
  if (uv_poll_init(loop, &w->poll, ac->c.fd) != 0) {
    delete w;
    return false;
  }
  uv_check_init(loop, &w->flush);
  uv_idle_init(loop, &w->nudge);
  w->poll.data = w->flush.data = w->nudge.data = w;
  w->open_handles = 3;
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
