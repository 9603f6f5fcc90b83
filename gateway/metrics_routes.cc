// GET /metrics: Prometheus text. The gateway's own numbers, then the
// in-process core's (hub, world store, nav cache) when there is one.
#include "common/prometheus_text.h"
#include "gateway/gateway.h"

namespace echelon::gateway {

void Gateway::RegisterMetricsRoutes() {
  http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const SseHubStats sse = sse_->stats();
    PrometheusText out;
    out.Gauge("echelon_sse_clients", "SSE viewers connected", sse.clients);
    out.Counter("echelon_sse_connections_total", "SSE connections accepted", sse.connections);
    out.Counter("echelon_sse_rejected_total", "SSE connections refused (viewer limit)", sse.rejected);
    out.Counter("echelon_sse_slow_drops_total", "Viewers dropped for falling behind", sse.dropped_slow);
    out.Counter("echelon_sse_events_total", "Events fanned out to viewers", sse.events);
    out.Counter("echelon_sse_event_bytes_total", "Bytes of events framed (once each)", sse.event_bytes);
    out.Counter("echelon_sse_bytes_sent_total", "Bytes written to viewers", sse.bytes_sent);
    out.Gauge("echelon_core_connected", "Whether the gateway's core subscription is up",
              sse.upstream_connected ? 1 : 0);
    if (front_) {
      const ConnectionFrontStats c = front_->stats();
      out.Gauge("echelon_http_connections_open", "HTTP connections open (waiting, served or streaming)", c.open);
      out.Counter("echelon_http_connections_accepted_total", "HTTP connections accepted", c.accepted);
      out.LabeledCounter("echelon_http_connections_refused_total", "HTTP connections refused at accept", "reason",
                          {{"max_connections", c.refused_max_connections},
                           {"max_connections_per_ip", c.refused_per_ip},
                           {"out_of_descriptors", c.refused_no_descriptors}});
      out.LabeledCounter("echelon_http_timeouts_total", "HTTP connections closed by a deadline", "kind",
                          {{"header", c.timeouts_header},
                           {"keepalive_idle", c.timeouts_keepalive_idle},
                           {"body_rate", c.timeouts_body_rate},
                           {"write_stall", c.timeouts_write_stall},
                           {"sse_stall", sse_writer_->stalled_drops()}});
      out.Counter("echelon_http_requests_total", "HTTP requests served by the workers", c.requests);
      out.Gauge("echelon_http_busy_workers", "HTTP workers serving a request", c.busy_workers);
    }
    out.Counter("echelon_pushes_total", "HTTP pushes accepted", pushes_accepted_.load());
    out.Counter("echelon_pushes_rejected_total", "HTTP pushes rejected", pushes_rejected_.load());
    push_latency_.Render(out, "echelon_push_latency_seconds", "HTTP push latency, body read to answer");
    out.Gauge("echelon_process_rss_bytes", "Resident set size of the process",
              static_cast<double>(ProcessRssBytes()));
    std::string body = out.Take();
    if (options_.core_metrics) body += options_.core_metrics();
    res.set_content(std::move(body), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace echelon::gateway
