#include "app/cluster_mode.h"


namespace echelon {

absl::StatusOr<std::shared_ptr<cluster::NatsClient>> ConnectCluster(const Config& config) {
  cluster::NatsOptions options;
  options.urls = cluster::SplitUrls(config.nats);
  options.stream = config.nats_stream;
  options.replicas = config.nats_replicas;
  options.max_bytes = static_cast<int64_t>(config.nats_max_gb * (1ull << 30));
  options.max_age = absl::Hours(config.nats_max_age_h);
  options.duplicate_window = absl::Seconds(config.nats_dedupe_window_s);
  options.name = config.core.empty() ? "echelon-core" : "echelon-gateway";
  return cluster::NatsClient::Connect(std::move(options));
}

}  // namespace echelon
