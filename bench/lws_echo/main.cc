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
#include <vector>

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
  const char* host = "127.0.0.1";
  int port = 9001;
  const char* cert = nullptr;  // with --cert and --key, wss: the TLS baseline
  const char* key = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--host") == 0) host = argv[i + 1];
    if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--cert") == 0) cert = argv[i + 1];
    if (std::strcmp(argv[i], "--key") == 0) key = argv[i + 1];
  }
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = port;
  info.iface = host;
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_LIBUV;
  info.fd_limit_per_thread = 0;
  if (cert != nullptr && key != nullptr) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = cert;
    info.ssl_private_key_filepath = key;
  }
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) {
    std::fprintf(stderr, "hf-lws-echo: cannot create the context on %s:%d\n", host, port);
    return 1;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::fprintf(stderr, "hf-lws-echo: listening on %s:%d (lws %s)\n", host, port,
               lws_get_library_version());
  while (lws_service(context, 0) >= 0) {
  }
  lws_context_destroy(context);
  return 0;
}
