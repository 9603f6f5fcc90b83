// LowerThisThreadsPriority: raises the calling thread's nice value by
// `increment` over the process's own (Linux keeps a nice value per thread;
// raising one's own needs no privilege). Used where a thread does throughput
// work that should yield the cores to latency work: the gateway's SSE writer
// (fan-out vs pushes and health checks), and the benchmarks' readers, which
// stand for viewers on other machines.
#pragma once

namespace echelon {

void LowerThisThreadsPriority(int increment);

}  // namespace echelon
