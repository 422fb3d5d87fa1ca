// hf-lws-echo: the smallest libwebsockets echo on libuv, the ceiling of holdfast's stack.
// One context, one thread, rx_buffer_size 512, and a writable callback that writes every queued
// message the socket takes. tx_packet_size is set as holdfast sets it: left at 0, lws would cut
// every write into pieces of rx_buffer_size.
#include <libwebsockets.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <new>
#include <string>
#include <vector>

#include "../common/flags.h"

namespace {

struct Message {
  std::vector<unsigned char> buf;  // LWS_PRE bytes of headroom, then the payload
  bool binary = false;
};

struct Session {
  std::deque<Message>* queue;
  std::vector<unsigned char>* partial;
};

// lws_service on libuv does not return to check a flag, and the bench keeps no state worth
// tearing down, so a signal ends the process at once.
void OnSignal(int) {
  _exit(0);
}

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* s = static_cast<Session*>(user);
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      s->queue = new std::deque<Message>();
      s->partial = new std::vector<unsigned char>();
      break;
    case LWS_CALLBACK_CLOSED:
      delete s->queue;
      delete s->partial;
      s->queue = nullptr;
      s->partial = nullptr;
      break;
    case LWS_CALLBACK_RECEIVE: {
      if (s->partial->empty()) s->partial->resize(LWS_PRE);
      auto* p = static_cast<unsigned char*>(in);
      s->partial->insert(s->partial->end(), p, p + len);
      if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) break;
      Message m;
      m.buf.swap(*s->partial);
      m.binary = lws_frame_is_binary(wsi) != 0;
      s->queue->push_back(std::move(m));
      lws_callback_on_writable(wsi);
      break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
      while (!s->queue->empty() && !lws_send_pipe_choked(wsi)) {
        Message& m = s->queue->front();
        size_t n = m.buf.size() - LWS_PRE;
        if (lws_write(wsi, m.buf.data() + LWS_PRE, n,
                      m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < static_cast<int>(n)) {
          return -1;
        }
        s->queue->pop_front();
      }
      if (!s->queue->empty()) lws_callback_on_writable(wsi);
      break;
    default:
      break;
  }
  return 0;
}

const lws_protocols kProtocols[] = {
    {"echo", Callback, sizeof(Session), 512, 0, nullptr, size_t{1} << 20},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 9001;
  std::string cert, key;  // with both, wss: the TLS baseline
  if (!hfbench::Flags("hf-lws-echo")
           .Text("--host", &host)
           .Int("--port", &port)
           .Text("--cert", &cert)
           .Text("--key", &key)
           .Parse(argc, argv)) {
    std::fputs("usage: hf-lws-echo [--host H] [--port P] [--cert PEM --key PEM]\n", stderr);
    return 2;
  }
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = port;
  info.iface = host.c_str();
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_LIBUV;
  info.fd_limit_per_thread = 0;
  if (!cert.empty() && !key.empty()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = cert.c_str();
    info.ssl_private_key_filepath = key.c_str();
  }
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) {
    std::fprintf(stderr, "hf-lws-echo: cannot create the context on %s:%d\n", host.c_str(), port);
    return 1;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::fprintf(stderr, "hf-lws-echo: listening on %s:%d (lws %s)\n", host.c_str(), port,
               lws_get_library_version());
  while (lws_service(context, 0) >= 0) {
  }
  lws_context_destroy(context);
  return 0;
}
