// Appending JSON text to a std::string: the primitives every encoder here
// shares (frames, events, nav graphs). Output is compact, UTF-8 passes through
// unescaped, and doubles are written as the shortest text that reads back as
// the same double, in Python's repr style ("1.0", "1e+16", "5e-324") so that
// whole floats stay floats.
//
//   std::string out;
//   JsonWriter w(out);
//   w.BeginObject(); w.Key("hp"); w.Double(200.0); w.EndObject();  // {"hp":200.0}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace echelon {

// Appends `value` as a JSON string literal (with quotes).
void AppendJsonString(std::string& out, std::string_view value);

// Appends a finite double in Python repr style; NaN/Inf become null.
void AppendJsonDouble(std::string& out, double value);

void AppendJsonInt(std::string& out, int64_t value);

// A comma-tracking writer over AppendJson*. Raw() splices in JSON text that is
// already encoded (e.g. a frames array) without re-encoding it.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject() { Separate(); out_.push_back('{'); first_ = true; }
  void EndObject() { out_.push_back('}'); first_ = false; }
  void BeginArray() { Separate(); out_.push_back('['); first_ = true; }
  void EndArray() { out_.push_back(']'); first_ = false; }
  void Key(std::string_view key) { Separate(); AppendJsonString(out_, key); out_.push_back(':'); first_ = true; }
  void String(std::string_view v) { Separate(); AppendJsonString(out_, v); }
  void Double(double v) { Separate(); AppendJsonDouble(out_, v); }
  void Int(int64_t v) { Separate(); AppendJsonInt(out_, v); }
  void Bool(bool v) { Separate(); out_.append(v ? "true" : "false"); }
  void Null() { Separate(); out_.append("null"); }
  void Raw(std::string_view json) { Separate(); out_.append(json); }

  std::string& out() { return out_; }

 private:
  void Separate() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace echelon
