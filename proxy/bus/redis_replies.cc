#include "proxy/bus/redis_replies.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

namespace holdfast {
namespace {

// Block sizes, header included. A pub/sub message's four strings and its array fit the smallest
// when the channel and payload are short; larger blocks are allocated alone.
constexpr std::array<size_t, 4> kBlockBytes = {128, 512, 2048, 8192};
// Blocks kept per size: more than one reply's tree needs, since hiredis frees each reply first.
constexpr size_t kKeep = 32;

struct BlockCache {
  std::array<std::array<void*, kKeep>, kBlockBytes.size()> kept{};
  std::array<size_t, kBlockBytes.size()> count{};
  ~BlockCache();
};

thread_local BlockCache t_cache;
// Set once t_cache is destroyed, when the thread exits: a reply freed after that is freed alone.
thread_local bool t_cache_gone = false;

BlockCache::~BlockCache() {
  for (size_t c = 0; c < kBlockBytes.size(); ++c) {
    for (size_t i = 0; i < count[c]; ++i)
      std::free(kept[c][i]);
    count[c] = 0;
  }
  t_cache_gone = true;
}

// The size class of a block of `bytes`, or kBlockBytes.size() when none holds it.
size_t class_of(size_t bytes) {
  size_t c = 0;
  while (c < kBlockBytes.size() && bytes > kBlockBytes[c])
    ++c;
  return c;
}

void* take(size_t bytes) {
  const size_t c = class_of(bytes);
  if (c == kBlockBytes.size()) return std::malloc(bytes);
  if (!t_cache_gone && t_cache.count[c] > 0) return t_cache.kept[c][--t_cache.count[c]];
  return std::malloc(kBlockBytes[c]);
}

void give(void* block, size_t bytes) {
  const size_t c = class_of(bytes);
  if (c < kBlockBytes.size() && !t_cache_gone && t_cache.count[c] < kKeep) {
    t_cache.kept[c][t_cache.count[c]++] = block;
    return;
  }
  std::free(block);
}

// A block's size follows from what it holds: a string's bytes and its terminator, or an array's
// element pointers, after the header.
size_t bytes_of(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return sizeof(redisReply) + r->len + 1;
    case REDIS_REPLY_ARRAY:
      return sizeof(redisReply) + r->elements * sizeof(redisReply*);
    default:
      return sizeof(redisReply);
  }
}

// A reply of `type` with `extra` bytes after its header, linked into its parent array if any.
redisReply* make(const redisReadTask* task, int type, size_t extra) {
  auto* r = static_cast<redisReply*>(take(sizeof(redisReply) + extra));
  if (r == nullptr) return nullptr;
  *r = redisReply{};
  r->type = type;
  if (task->parent != nullptr) {
    auto* parent = static_cast<redisReply*>(task->parent->obj);
    parent->element[task->idx] = r;
  }
  return r;
}

void* create_string(const redisReadTask* task, char* s, size_t len) {
  redisReply* r = make(task, task->type, len + 1);
  if (r == nullptr) return nullptr;
  r->str = reinterpret_cast<char*>(r + 1);
  std::memcpy(r->str, s, len);
  r->str[len] = '\0';
  r->len = len;
  return r;
}

void* create_array(const redisReadTask* task, int elements) {
  const size_t n = elements > 0 ? static_cast<size_t>(elements) : 0;
  redisReply* r = make(task, REDIS_REPLY_ARRAY, n * sizeof(redisReply*));
  if (r == nullptr) return nullptr;
  if (n > 0) {
    r->element = reinterpret_cast<redisReply**>(r + 1);
    std::fill_n(r->element, n, nullptr);
  }
  r->elements = n;
  return r;
}

void* create_integer(const redisReadTask* task, long long value) {
  redisReply* r = make(task, REDIS_REPLY_INTEGER, 0);
  if (r != nullptr) r->integer = value;
  return r;
}

void* create_nil(const redisReadTask* task) {
  return make(task, REDIS_REPLY_NIL, 0);
}

void free_reply(void* p) {
  auto* r = static_cast<redisReply*>(p);
  if (r == nullptr) return;
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r->elements; ++i)
      free_reply(r->element[i]);
  }
  give(r, bytes_of(r));
}

redisReplyObjectFunctions g_pooled = {create_string, create_array, create_integer, create_nil,
                                      free_reply};

}  // namespace

void use_pooled_replies(redisReader* reader) {
  reader->fn = &g_pooled;
}

size_t pooled_reply_blocks() {
  if (t_cache_gone) return 0;
  size_t n = 0;
  for (size_t c : t_cache.count)
    n += c;
  return n;
}

}  // namespace holdfast
