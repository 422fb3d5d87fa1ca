// The template half of contract.h; included at its end.
#pragma once

#include <charconv>

namespace holdfast::contract {

// `scratch` receives the ce_<name> header names and the close code. It is reserved up front for
// all of them, so no append below reallocates and every view stays valid until `scratch` is next
// changed; callers may rely only on a view lasting for its own emit call.
template <typename Emit>
void for_each_attribute(const Event& ev, std::string& scratch, Emit&& emit) {
  constexpr size_t kCodeDigits = 11;  // any int, with its sign
  size_t need = kCodeDigits;
  if (ev.metadata != nullptr) {
    for (const auto& entry : *ev.metadata)
      need += 3 + entry.first.size();
  }
  scratch.clear();
  scratch.reserve(need);

  const auto put = [&emit](std::string_view kafka_name, std::string_view field_name,
                           std::string_view value) {
    emit(Attribute{kafka_name, field_name, value});
  };
  put("ce_specversion", "specversion", kSpecVersion);
  put("ce_id", "id", ev.id);
  put("ce_source", "source", ev.source);
  put("ce_type", "type", ev.type);
  put("ce_time", "time", ev.time);
  if (!ev.content_type.empty()) put("content-type", "datacontenttype", ev.content_type);
  put("ce_connectionid", "connectionid", ev.connection_id);
  if (!ev.auth_id.empty()) put("ce_authid", "authid", ev.auth_id);
  if (!ev.reply_to.empty()) put("kafka_replyTopic", "replyto", ev.reply_to);
  // The connection id is what leads a reply back: request-reply frameworks copy this header.
  put("kafka_correlationId", "correlationid", ev.connection_id);
  if (!ev.traceparent.empty()) put("traceparent", "traceparent", ev.traceparent);
  if (ev.metadata != nullptr) {
    for (const auto& [name, value] : *ev.metadata) {
      if (value.empty()) continue;
      const size_t start = scratch.size();
      scratch += "ce_";
      scratch += name;
      const std::string_view header(scratch.data() + start, scratch.size() - start);
      put(header, header.substr(3), value);
    }
  }
  if (ev.close_code != 0) {
    char digits[kCodeDigits];
    const char* end = std::to_chars(digits, digits + sizeof digits, ev.close_code).ptr;
    const size_t start = scratch.size();
    scratch.append(digits, static_cast<size_t>(end - digits));
    put("ce_closecode", "closecode",
        std::string_view(scratch.data() + start, scratch.size() - start));
    put("ce_closereason", "closereason", ev.close_reason);
  }
}

}  // namespace holdfast::contract
