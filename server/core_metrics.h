// The core's section of /metrics: replay hub, world store and nav cache.
#pragma once

#include <string>

#include "server/core_server.h"

namespace echelon {

std::string RenderCoreMetrics(CoreServer& core);

}  // namespace echelon
