// GzipStream: gzip-compresses a response as it is produced, for bodies too big
// to compress in one piece (a stored replay streamed from disk). Each Add()
// returns the compressed bytes ready so far; Finish() the rest and the trailer.
//
// Not thread-safe: one stream per response, used by the thread writing it.
#pragma once

#include <zlib.h>

#include <string>
#include <string_view>

namespace echelon {

class GzipStream {
 public:
  // Level 1 by default: a download is streamed once and should not wait on CPU.
  explicit GzipStream(int level = 1);
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  std::string Add(std::string_view data);
  std::string Finish();

 private:
  std::string Run(std::string_view data, int flush);
  z_stream stream_{};
};

}  // namespace echelon
