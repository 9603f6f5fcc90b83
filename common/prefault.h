// PrefaultForWrite: maps in the pages of a buffer that is about to be filled,
// with one madvise(MADV_POPULATE_WRITE) instead of a page fault per 4 KB.
// Megabyte buffers fresh from mmap (a push body) otherwise take hundreds of
// faults while being written, and under virtualization each fault is a trip
// through the hypervisor: on the 2-vCPU hosts measured in docs/benchmarks.md
// that was most of a push's CPU time.
//
//   body.reserve(content_length);
//   PrefaultForWrite(body.data(), content_length);
#pragma once

#include <cstddef>

namespace echelon {

// Best effort: does nothing for small buffers, or where the kernel (before
// 5.14) does not know the advice.
void PrefaultForWrite(void* data, size_t size);

}  // namespace echelon
