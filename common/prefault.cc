#include "common/prefault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace echelon {

namespace {

// Below this, the few faults cost less than the system call.
constexpr size_t kMinPrefaultBytes = 64u << 10;

}  // namespace

void PrefaultForWrite(void* data, size_t size) {
#ifdef MADV_POPULATE_WRITE
  if (size < kMinPrefaultBytes) return;
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  // Only whole pages inside the buffer: the ones at its edges may be shared
  // with other allocations and are left to fault as usual.
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) & ~(page - 1);
  if (end <= begin) return;
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)data;
  (void)size;
#endif
}

}  // namespace echelon
