// Redis replies read with holdfast's pooled functions: the same redisReply trees hiredis's own
// functions build, strings terminated, nested arrays linked, and the blocks of a freed reply
// reused by the next one instead of allocated again.
#include "proxy/bus/redis_replies.h"

#include <hiredis/hiredis.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace holdfast {
namespace {

struct ReaderFree {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
using Reader = std::unique_ptr<redisReader, ReaderFree>;

Reader pooled_reader() {
  Reader r(redisReaderCreate());
  use_pooled_replies(r.get());
  return r;
}

struct ReplyFree {
  redisReader* reader;
  void operator()(redisReply* r) const { reader->fn->freeObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// Feeds `wire` and reads one reply, which must be complete.
Reply read_one(redisReader* reader, std::string_view wire) {
  REQUIRE(redisReaderFeed(reader, wire.data(), wire.size()) == REDIS_OK);
  void* out = nullptr;
  REQUIRE(redisReaderGetReply(reader, &out) == REDIS_OK);
  REQUIRE(out != nullptr);
  return Reply(static_cast<redisReply*>(out), ReplyFree{reader});
}

std::string_view str(const redisReply* r) {
  return {r->str, r->len};
}

constexpr std::string_view kPmessage =
    "*4\r\n$8\r\npmessage\r\n$16\r\nholdfast:conn:a*\r\n$17\r\nholdfast:conn:a-0\r\n$"
    "5\r\nhello\r\n";

}  // namespace

TEST_CASE("redis replies: a pub/sub message reads as hiredis's own tree") {
  Reader reader = pooled_reader();
  Reply r = read_one(reader.get(), kPmessage);
  REQUIRE(r->type == REDIS_REPLY_ARRAY);
  REQUIRE(r->elements == 4);
  CHECK(str(r->element[0]) == "pmessage");
  CHECK(str(r->element[1]) == "holdfast:conn:a*");
  CHECK(str(r->element[2]) == "holdfast:conn:a-0");
  CHECK(str(r->element[3]) == "hello");
  for (size_t i = 0; i < r->elements; ++i) {
    CHECK(r->element[i]->type == REDIS_REPLY_STRING);
    CHECK(r->element[i]->str[r->element[i]->len] == '\0');  // hiredis's dispatch reads C strings
  }
}

TEST_CASE("redis replies: every kind of reply, nested") {
  Reader reader = pooled_reader();
  Reply r = read_one(reader.get(),
                     "*6\r\n+OK\r\n-ERR no\r\n:-42\r\n$-1\r\n*0\r\n*2\r\n*1\r\n$0\r\n\r\n*-1\r\n");
  REQUIRE(r->type == REDIS_REPLY_ARRAY);
  REQUIRE(r->elements == 6);
  CHECK(r->element[0]->type == REDIS_REPLY_STATUS);
  CHECK(str(r->element[0]) == "OK");
  CHECK(r->element[1]->type == REDIS_REPLY_ERROR);
  CHECK(str(r->element[1]) == "ERR no");
  CHECK(r->element[2]->type == REDIS_REPLY_INTEGER);
  CHECK(r->element[2]->integer == -42);
  CHECK(r->element[3]->type == REDIS_REPLY_NIL);
  CHECK(r->element[4]->type == REDIS_REPLY_ARRAY);
  CHECK(r->element[4]->elements == 0);
  const redisReply* inner = r->element[5];
  REQUIRE(inner->type == REDIS_REPLY_ARRAY);
  REQUIRE(inner->elements == 2);
  REQUIRE(inner->element[0]->type == REDIS_REPLY_ARRAY);
  CHECK(str(inner->element[0]->element[0]).empty());
  CHECK(inner->element[1]->type == REDIS_REPLY_NIL);
}

TEST_CASE("redis replies: a freed reply's blocks make the next one") {
  Reader reader = pooled_reader();
  read_one(reader.get(), kPmessage).reset();  // warms this thread's blocks
  const size_t warm = pooled_reply_blocks();
  CHECK(warm >= 5);  // the array and its four strings
  Reply r = read_one(reader.get(), kPmessage);
  CHECK(pooled_reply_blocks() == warm - 5);  // taken from the kept blocks, none allocated
  r.reset();
  CHECK(pooled_reply_blocks() == warm);
}

TEST_CASE("redis replies: a string larger than any block is allocated alone") {
  Reader reader = pooled_reader();
  const std::string big(100000, 'b');
  const size_t before = pooled_reply_blocks();
  {
    Reply r = read_one(reader.get(), "$" + std::to_string(big.size()) + "\r\n" + big + "\r\n");
    REQUIRE(r->type == REDIS_REPLY_STRING);
    CHECK(str(r.get()) == big);
  }
  CHECK(pooled_reply_blocks() == before);  // not kept
}

TEST_CASE("redis replies: a reply cut short is freed with the reader") {
  Reader reader = pooled_reader();
  read_one(reader.get(), kPmessage).reset();
  const size_t warm = pooled_reply_blocks();
  const std::string_view half = kPmessage.substr(0, 30);  // the array and its first string
  REQUIRE(redisReaderFeed(reader.get(), half.data(), half.size()) == REDIS_OK);
  void* out = nullptr;
  REQUIRE(redisReaderGetReply(reader.get(), &out) == REDIS_OK);
  CHECK(out == nullptr);  // not complete; the reader holds what it built
  CHECK(pooled_reply_blocks() == warm - 2);
  reader.reset();  // frees the partial tree through the pooled functions
  CHECK(pooled_reply_blocks() == warm);
}

}  // namespace holdfast
