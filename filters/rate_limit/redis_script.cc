#include "filters/rate_limit/redis_script.h"

#include <openssl/evp.h>

#include <charconv>

namespace holdfast::filters::rate_limit::script {

// Times are nanoseconds since 1700000000 (2023-11-14T22:13:20Z), so that they stay small
// enough for Lua's doubles to hold them to 32 ns or better until 2033. Values are written back
// with %.0f because Redis would turn a bare number into a string with only 14 digits. The key
// lives as long as it matters: once its TAT has passed it is the same as no key at all.
const std::string_view kSource = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1700000000) * 1000000000 + tonumber(t[2]) * 1000
local increment = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next_tat = tat + increment
local wait = next_tat - window - now
if wait > 0 then return {0, wait} end
local ttl = math.ceil((next_tat - now) / 1000000)
if ttl < 1 then ttl = 1 end
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', ttl)
return {1, 0}
)lua";

namespace {

std::string compute_sha1() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(kSource.data(), kSource.size(), digest, &length, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

void append_number(std::string& out, uint64_t n) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  out.append(buf, static_cast<size_t>(end - buf));
}

void append_bulk_header(std::string& out, size_t length) {
  out += '$';
  append_number(out, length);
  out += "\r\n";
}

void append_bulk(std::string& out, std::string_view s) {
  append_bulk_header(out, s.size());
  out += s;
  out += "\r\n";
}

void append_bulk_number(std::string& out, int64_t n) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  append_bulk(out, std::string_view(buf, static_cast<size_t>(end - buf)));
}

void command(std::string& out, std::string_view name, std::string_view body,
             std::string_view args) {
  out.clear();
  out += "*6\r\n";
  append_bulk(out, name);
  append_bulk(out, body);
  out += args;
}

}  // namespace

const std::string& sha1() {
  static const std::string sha = compute_sha1();
  return sha;
}

void append_args(std::string& out, std::span<const std::string_view> key_parts,
                 int64_t increment_ns, int64_t window_ns) {
  append_bulk(out, "1");
  size_t length = 0;
  for (const auto part : key_parts)
    length += part.size();
  append_bulk_header(out, length);
  for (const auto part : key_parts)
    out += part;
  out += "\r\n";
  append_bulk_number(out, increment_ns);
  append_bulk_number(out, window_ns);
}

void evalsha_command(std::string& out, std::string_view args) {
  command(out, "EVALSHA", sha1(), args);
}

void eval_command(std::string& out, std::string_view args) {
  command(out, "EVAL", kSource, args);
}

}  // namespace holdfast::filters::rate_limit::script
