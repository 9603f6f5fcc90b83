#include "gateway/sse_writer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"

namespace echelon::gateway {
namespace {

// The nice value of this process's thread named `name`, from /proc.
std::optional<int> NiceOfThread(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string thread_name;
    std::getline(comm, thread_name);
    if (thread_name != name) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::stringstream stat;
    stat << stat_file.rdbuf();
    // After "pid (comm) ", nice is the 17th field (field 19 of stat(5)).
    std::string rest = stat.str().substr(stat.str().rfind(')') + 2);
    std::vector<std::string> fields = absl::StrSplit(rest, ' ');
    return std::stoi(fields[16]);
  }
  return std::nullopt;
}

TEST(SseWriterTest, WriterThreadYieldsToPushesAndHealthChecks) {
  SseWriter writer(SseWriterOptions{}, [](const std::shared_ptr<SseClient>&) {});
  writer.Start();
  std::optional<int> nice;
  for (int i = 0; i < 200 && !(nice = NiceOfThread("sse-writer")); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the thread names itself as it starts
  }
  writer.Stop();
  ASSERT_TRUE(nice.has_value()) << "no thread named sse-writer";
  const int process_nice = getpriority(PRIO_PROCESS, 0);
  EXPECT_EQ(*nice, std::min(19, process_nice + 5));
}

}  // namespace
}  // namespace echelon::gateway
