#include "proxy/contract.h"

#include <charconv>

#include "proxy/util/base64.h"
#include "proxy/util/json.h"
#include "proxy/util/utf8.h"

namespace holdfast::contract {
namespace {

constexpr size_t kMaxCloseReason = 123;  // a close frame's payload is 125 bytes, 2 for the code
constexpr size_t kMaxQuoted = 64;        // how much of a bad value an error message repeats

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

// "Application/JSON; charset=utf-8" -> "Application/JSON".
std::string_view media_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!content_type.empty() && space(content_type.front()))
    content_type.remove_prefix(1);
  while (!content_type.empty() && space(content_type.back()))
    content_type.remove_suffix(1);
  return content_type;
}

bool is_json_media(std::string_view mt) {
  return iequals(mt, "application/json") ||
         (iends_with(mt, "+json") && mt.find('/') != std::string_view::npos);
}

void member(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  util::append_json_string(out, name);
  out += ':';
  util::append_json_string(out, value);
}

Target parse_prefixed(std::string_view text, std::string_view connection_prefix) {
  Target t;
  if (text == "broadcast") {
    t.kind = Target::Kind::Broadcast;
    return t;
  }
  const auto take = [&](std::string_view prefix, Target::Kind kind) {
    if (text.size() <= prefix.size() || text.substr(0, prefix.size()) != prefix) return false;
    t.kind = kind;
    t.name = text.substr(prefix.size());
    return true;
  };
  if (take(connection_prefix, Target::Kind::Connection) || take("user:", Target::Kind::User)) {
    return t;
  }
  take("channel:", Target::Kind::Channel);
  return t;
}

bool fail(std::string& error, std::string_view message) {
  error.assign(message);
  return false;
}

// `what 'value'`, with the value cut short so a hostile message cannot flood the log.
bool fail_quoting(std::string& error, std::string_view what, std::string_view value) {
  error.assign(what);
  error += " '";
  error += util::utf8_prefix(value, kMaxQuoted);
  if (value.size() > kMaxQuoted) error += "...";
  error += '\'';
  return false;
}

// `"name" <what>`, e.g. `"reason" must be a string`.
bool fail_member(std::string& error, std::string_view name, std::string_view what) {
  error.clear();
  error += '"';
  error += name;
  error += "\" ";
  error += what;
  return false;
}

// Checks a string member; `seen` catches a member given twice.
bool check_string(const util::JsonMember& m, std::string_view name, bool& seen,
                  std::string& error) {
  if (seen) return fail_member(error, name, "appears twice");
  seen = true;
  if (m.type != util::JsonType::String) return fail_member(error, name, "must be a string");
  return true;
}

bool read_string(const util::JsonMember& m, std::string_view name, bool& seen, std::string& dest,
                 std::string& error) {
  if (!check_string(m, name, seen, error)) return false;
  dest.clear();
  if (!util::append_json_unescaped(dest, m.value)) {
    return fail_member(error, name, "holds an unpaired surrogate escape");
  }
  return true;
}

// The control named by a raw JSON string, without decoding it into a buffer.
ControlKind raw_control(std::string_view raw) {
  if (raw.find('\\') == std::string_view::npos) return parse_control(raw);
  for (ControlKind kind : {ControlKind::Close, ControlKind::Subscribe, ControlKind::Unsubscribe}) {
    const std::string_view name = kind == ControlKind::Close       ? "close"
                                  : kind == ControlKind::Subscribe ? "subscribe"
                                                                   : "unsubscribe";
    if (util::json_string_equals(raw, name)) return kind;
  }
  return ControlKind::Invalid;
}

}  // namespace

void append_structured_json(const Event& ev, std::string& out) {
  const bool message = ev.type == kTypeMessage;
  // Attributes take a few hundred bytes; base64 grows data by a third, escaping a little.
  const size_t data_size = ev.binary ? (ev.data.size() + 2) / 3 * 4 : ev.data.size() * 9 / 8;
  out.reserve(out.size() + 512 + (message ? data_size : 0));
  out += "{\"specversion\":";
  util::append_json_string(out, kSpecVersion);
  member(out, "id", ev.id);
  member(out, "source", ev.source);
  member(out, "type", ev.type);
  member(out, "time", ev.time);
  if (!ev.content_type.empty()) member(out, "datacontenttype", ev.content_type);
  member(out, "connectionid", ev.connection_id);
  if (!ev.auth_id.empty()) member(out, "authid", ev.auth_id);
  if (!ev.reply_to.empty()) member(out, "replyto", ev.reply_to);
  member(out, "correlationid", ev.connection_id);
  if (!ev.traceparent.empty()) member(out, "traceparent", ev.traceparent);
  if (ev.metadata != nullptr) {
    for (const auto& [name, value] : *ev.metadata) {
      if (!value.empty()) member(out, name, value);
    }
  }
  if (ev.close_code != 0) {
    out += ",\"closecode\":";
    char digits[11];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, ev.close_code).ptr);
    member(out, "closereason", ev.close_reason);
  }
  if (message) {
    if (ev.binary) {
      out += ",\"data_base64\":\"";
      util::append_base64(out, ev.data);
      out += '"';
    } else if (is_json_media(media_type(ev.content_type)) && util::valid_json(ev.data)) {
      out += ",\"data\":";
      out += ev.data;
    } else {
      out += ",\"data\":";
      util::append_json_string(out, ev.data);
    }
  }
  out += '}';
}

bool reply_is_text(std::string_view content_type, std::string_view value) {
  const std::string_view mt = media_type(content_type);
  if (mt.empty()) return util::valid_utf8(value);
  return istarts_with(mt, "text/") || is_json_media(mt);
}

Target parse_target(std::string_view text) {
  return parse_prefixed(text, "connection:");
}

Target parse_redis_channel(std::string_view suffix) {
  return parse_prefixed(suffix, "conn:");
}

ControlKind parse_control(std::string_view value) {
  if (value.empty()) return ControlKind::None;
  if (value == "close") return ControlKind::Close;
  if (value == "subscribe") return ControlKind::Subscribe;
  if (value == "unsubscribe") return ControlKind::Unsubscribe;
  return ControlKind::Invalid;
}

bool parse_redis_control(std::string_view json, RedisControl& out, std::string& error) {
  out.target = Target{};
  out.target_storage.clear();
  out.control = ControlKind::None;
  out.code = 1000;
  out.reason.clear();
  out.channel.clear();
  error.clear();

  if (!util::valid_json(json)) return fail(error, "control message is not valid JSON");
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (json[first] != '{') return fail(error, "control message is not a JSON object");

  bool has_target = false, has_control = false, has_code = false, has_reason = false,
       has_channel = false;
  std::string_view control;  // raw, as in the JSON text
  util::JsonObjectReader reader(json);
  util::JsonMember m;
  while (reader.next(m)) {
    if (util::json_string_equals(m.key, "target")) {
      if (!read_string(m, "target", has_target, out.target_storage, error)) return false;
    } else if (util::json_string_equals(m.key, "control")) {
      if (!check_string(m, "control", has_control, error)) return false;
      control = m.value;
    } else if (util::json_string_equals(m.key, "reason")) {
      if (!read_string(m, "reason", has_reason, out.reason, error)) return false;
    } else if (util::json_string_equals(m.key, "channel")) {
      if (!read_string(m, "channel", has_channel, out.channel, error)) return false;
    } else if (util::json_string_equals(m.key, "code")) {
      if (has_code) return fail_member(error, "code", "appears twice");
      has_code = true;
      int64_t code = 0;
      if (m.type != util::JsonType::Number || !util::json_to_int(m.value, code) ||
          !(code == 1000 || (code >= 3000 && code <= 4999))) {
        return fail(error, "\"code\" must be an integer: 1000 or 3000..4999");
      }
      out.code = static_cast<int>(code);
    }
  }
  if (!reader.ok()) return fail(error, "control message is not valid JSON");

  if (!has_target) return fail(error, "missing \"target\"");
  out.target = parse_target(out.target_storage);
  if (out.target.kind == Target::Kind::Invalid) {
    return fail_quoting(error, "invalid \"target\"", out.target_storage);
  }
  if (!has_control) return fail(error, "missing \"control\"");
  out.control = raw_control(control);
  switch (out.control) {
    case ControlKind::None:
    case ControlKind::Invalid:
      return fail_quoting(error, "unknown control", control);  // as written, escapes and all
    case ControlKind::Subscribe:
      if (out.channel.empty()) return fail(error, "subscribe needs \"channel\"");
      break;
    case ControlKind::Unsubscribe:
      if (out.channel.empty()) return fail(error, "unsubscribe needs \"channel\"");
      break;
    case ControlKind::Close:
      if (out.reason.size() > kMaxCloseReason) {
        out.reason.resize(util::utf8_prefix(out.reason, kMaxCloseReason).size());
      }
      break;
  }
  return true;
}

}  // namespace holdfast::contract
