// A progress bar on stderr for work that takes more than about a second: shown only when stderr
// is a terminal (nothing in CI logs or redirected output), and only once a second has passed.
//
// Example:
//   Progress progress("convert", total_bytes, Progress::Unit::kBytes);
//   for (...) { ...; progress.Add(bytes); }
//   progress.Finish();
#ifndef TENSORPORT_CORE_PROGRESS_H_
#define TENSORPORT_CORE_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace tp {

class Progress {
 public:
  enum class Unit { kBytes, kItems };
  Progress(std::string label, int64_t total, Unit unit);
  ~Progress() { Finish(); }
  void Add(int64_t n);
  // Ends the line (when a bar was drawn).
  void Finish();

 private:
  std::string label_;
  int64_t total_, done_ = 0;
  Unit unit_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace tp

#endif  // TENSORPORT_CORE_PROGRESS_H_
