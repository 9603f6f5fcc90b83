#include "common/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace echelon {

void LowerThisThreadsPriority(int increment) {
  if (increment <= 0) return;
  errno = 0;
  const int process_nice = getpriority(PRIO_PROCESS, 0);  // -1 is a valid value: errno tells
  if (errno != 0) return;
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), std::min(19, process_nice + increment));
}

}  // namespace echelon
