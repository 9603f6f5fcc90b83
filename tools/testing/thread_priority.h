// LowerThisThreadsPriority: raises the calling thread's nice value by
// `increment` over the process's own (Linux keeps a nice value per thread).
// The benchmarks' readers use it to stand for viewers on other machines: they
// yield the CPU to the server they measure instead of competing with it.
#pragma once

namespace echelon::testing {

void LowerThisThreadsPriority(int increment);

}  // namespace echelon::testing
