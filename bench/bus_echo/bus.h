// Kafka and Redis pieces shared by hf-bus-echo (the service) and hf-bus-direct (its client
// without holdfast). See bench/README.md.
#pragma once

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

namespace hfbench::bus {

extern std::atomic<bool> g_stop;  // set by SIGTERM and SIGINT
void HandleStopSignals();

// A producer with holdfast's settings, linger 5 ms and acks from all replicas; idempotent, as
// holdfast's is by default, when `idempotent`.
rd_kafka_t* NewProducer(const std::string& brokers, bool idempotent);
// A consumer assigned every partition of `topic` from its end, with no group to wait for.
rd_kafka_t* NewTailConsumer(const std::string& brokers, const std::string& topic);
// A record header or a stream entry's field.
struct Field {
  std::string_view name, value;
};
// Produces one record, waiting on a full queue; false when the producer refuses it.
bool Produce(rd_kafka_t* p, const std::string& topic, std::string_view key, std::string_view value,
             const std::vector<Field>& headers);
// A header of a consumed record; empty when absent.
std::string_view Header(const rd_kafka_message_t* m, const char* name);

// host:port of a redis:// URL or host:port; blocking connection, exits on failure.
redisContext* ConnectRedis(const std::string& address);

}  // namespace hfbench::bus
