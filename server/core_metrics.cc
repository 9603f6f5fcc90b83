#include "server/core_metrics.h"

#include "common/prometheus_text.h"

namespace echelon {

std::string RenderCoreMetrics(CoreServer& core) {
  PrometheusText out;
  const replay::HubStats hub = core.hub().stats();
  out.Gauge("echelon_hub_subscribers", "gRPC subscribers of the replay hub", hub.subscribers);
  out.Gauge("echelon_hub_replays", "Replays being tracked", hub.replays);
  out.Gauge("echelon_hub_retained_events", "Events retained for late joiners", hub.retained_events);
  out.Gauge("echelon_hub_retained_bytes", "Bytes retained for late joiners", hub.retained_bytes);
  out.Counter("echelon_hub_events_total", "Events published", hub.events_published);
  out.Counter("echelon_hub_chunks_total", "Chunks published", hub.chunks_published);
  out.Counter("echelon_hub_chunks_duplicate_total", "Re-sent chunks acknowledged, not broadcast",
              hub.chunks_duplicate);
  out.Counter("echelon_hub_subscriber_drops_total", "gRPC subscribers dropped for falling behind",
              hub.subscribers_dropped);
  const world::WorldStoreStats worlds = core.worlds().stats();
  out.Gauge("echelon_world_cache_size", "Worlds stored", worlds.worlds);
  out.Gauge("echelon_world_cache_bytes", "Bytes of worlds stored", worlds.bytes);
  out.Counter("echelon_world_cache_hits_total", "World lookups answered", worlds.hits);
  out.Counter("echelon_world_cache_misses_total", "World lookups for unknown hashes", worlds.misses);
  const nav::NavCacheStats nav = core.nav().stats();
  out.Gauge("echelon_nav_cache_size", "Nav graphs cached", nav.size);
  out.Counter("echelon_nav_cache_hits_total", "Nav requests answered from cache", nav.hits);
  out.Counter("echelon_nav_cache_misses_total", "Nav requests that waited for a build", nav.misses);
  out.Counter("echelon_nav_builds_total", "Nav graph builds", nav.builds);
  out.Counter("echelon_nav_build_failures_total", "Nav graph builds that failed", nav.build_failures);
  out.LabeledCounter("echelon_push_calls_total",
                     "Calls allowed to push (chunk pushes, push streams, world uploads), by token name", "token",
                     core.auth().PushCallsByName());
  if (const library::StreamFeeder* feeder = core.library_feeder()) {
    const library::FeederStats copy = feeder->stats();
    out.Gauge("echelon_library_copy_sequence", "Last replay log sequence applied to this core's library",
              copy.applied_sequence);
    out.Gauge("echelon_library_copy_current", "1 while this core's library keeps up with the replay log",
              copy.current ? 1 : 0);
    out.Counter("echelon_library_copy_chunks_total", "Chunks this core's library stored from the replay log",
                copy.chunks_stored);
    out.Counter("echelon_library_copy_skipped_total", "Replay log messages the library could not apply (logged)",
                copy.messages_skipped);
  }
  return out.Take();
}

}  // namespace echelon
