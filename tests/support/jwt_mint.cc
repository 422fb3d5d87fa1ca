#include "tests/support/jwt_mint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "tests/support/json_lite.h"
#include "tests/support/process.h"

namespace holdfast::test {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return out;
    }
  }
}

}  // namespace

const std::string& Minted::token(const std::string& name) const {
  const auto it = tokens.find(name);
  if (it == tokens.end()) throw std::out_of_range("no minted token '" + name + "'");
  return it->second;
}

const std::string& Minted::key_set(const std::string& name) const {
  const auto it = jwks.find(name);
  if (it == jwks.end()) throw std::out_of_range("no minted JWKS '" + name + "'");
  return it->second;
}

Minted mint_tokens(const std::string& spec) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  char err_path[] = "/tmp/holdfast-mint-XXXXXX";
  const int err_fd = ::mkstemp(err_path);
  if (err_fd < 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("mkstemp failed");
  }
  ::unlink(err_path);
  const std::string script = std::string(HOLDFAST_SOURCE_DIR) + "/tests/support/mint_token.py";
  pid_t pid = -1;
  try {
    pid = spawn_child({kPython, script, spec}, {}, out[1], err_fd);
  } catch (...) {
    ::close(out[0]);
    ::close(out[1]);
    ::close(err_fd);
    throw;
  }
  ::close(out[1]);
  const std::string text = read_all(out[0]);
  ::close(out[0]);
  const int status = wait_child(pid, Millis(30000));
  ::lseek(err_fd, 0, SEEK_SET);
  const std::string err = read_all(err_fd);
  ::close(err_fd);
  if (status != 0) {
    throw std::runtime_error("mint_token.py exited with " + std::to_string(status) + ": " + err);
  }
  const auto doc = parse_json(text);
  if (!doc) throw std::runtime_error("mint_token.py printed no JSON: " + text + err);
  Minted m;
  for (const auto& [name, value] : (*doc)["jwks"].members)
    m.jwks[name] = value.text;
  for (const auto& [name, value] : (*doc)["tokens"].members)
    m.tokens[name] = value.text;
  return m;
}

std::string base64url(std::string_view bytes) {
  std::string s = base64_encode(bytes);
  while (!s.empty() && s.back() == '=')
    s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

}  // namespace holdfast::test
