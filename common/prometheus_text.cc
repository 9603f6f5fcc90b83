#include "common/prometheus_text.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

namespace echelon {
namespace {

std::string FormatNumber(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  return buf;
}

}  // namespace

void PrometheusText::Header(std::string_view name, std::string_view help, std::string_view type) {
  out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusText::Sample(std::string_view name, std::string_view labels, double value) {
  out_.append(name).append(labels).append(" ").append(FormatNumber(value)).append("\n");
}

void PrometheusText::Counter(std::string_view name, std::string_view help, double value) {
  Header(name, help, "counter");
  Sample(name, "", value);
}

void PrometheusText::Gauge(std::string_view name, std::string_view help, double value) {
  Header(name, help, "gauge");
  Sample(name, "", value);
}

void PrometheusText::LabeledCounters(std::string_view name, std::string_view help, std::string_view label,
                                     const std::vector<std::pair<std::string, double>>& values) {
  Header(name, help, "counter");
  for (const auto& [key, value] : values) {
    Sample(name, std::string("{").append(label).append("=\"").append(key).append("\"}"), value);
  }
}

void PrometheusText::Histogram(std::string_view name, std::string_view help,
                               const std::vector<double>& bounds,
                               const std::vector<uint64_t>& cumulative_counts, uint64_t count,
                               double sum) {
  Header(name, help, "histogram");
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i < bounds.size(); ++i) {
    Sample(bucket, "{le=\"" + FormatNumber(bounds[i]) + "\"}", static_cast<double>(cumulative_counts[i]));
  }
  Sample(bucket, "{le=\"+Inf\"}", static_cast<double>(count));
  Sample(std::string(name) + "_sum", "", sum);
  Sample(std::string(name) + "_count", "", static_cast<double>(count));
}

uint64_t ProcessRssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

}  // namespace echelon
