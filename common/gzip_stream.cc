#include "common/gzip_stream.h"

#include <algorithm>

namespace echelon {

GzipStream::GzipStream(int level) {
  // 15 + 16: a gzip wrapper around the deflate stream.
  deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

GzipStream::~GzipStream() { deflateEnd(&stream_); }

std::string GzipStream::Add(std::string_view data) { return Run(data, Z_NO_FLUSH); }

std::string GzipStream::Finish() { return Run({}, Z_FINISH); }

std::string GzipStream::Run(std::string_view data, int flush) {
  std::string out;
  char buffer[64 * 1024];
  do {
    const size_t take = std::min<size_t>(data.size(), 1u << 30);
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream_.avail_in = static_cast<uInt>(take);
    const bool last_piece = take == data.size();
    do {
      stream_.next_out = reinterpret_cast<Bytef*>(buffer);
      stream_.avail_out = sizeof buffer;
      deflate(&stream_, last_piece ? flush : Z_NO_FLUSH);
      out.append(buffer, sizeof buffer - stream_.avail_out);
    } while (stream_.avail_out == 0);
    data.remove_prefix(take);
  } while (!data.empty());
  return out;
}

}  // namespace echelon
