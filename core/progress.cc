#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tp {
namespace {

std::string Amount(int64_t n, Progress::Unit unit) {
  if (unit == Progress::Unit::kItems) return absl::StrCat(n);
  if (n >= (int64_t{1} << 30)) return absl::StrFormat("%.2f GiB", n / 1073741824.0);
  if (n >= (int64_t{1} << 20)) return absl::StrFormat("%.1f MiB", n / 1048576.0);
  return absl::StrFormat("%.0f KiB", n / 1024.0);
}

}  // namespace

Progress::Progress(std::string label, int64_t total, Unit unit)
    : label_(std::move(label)), total_(total), unit_(unit), enabled_(::isatty(STDERR_FILENO)) {
  start_ = last_ = std::chrono::steady_clock::now();
}

void Progress::Add(int64_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - start_).count();
  if (secs < 1.0 || std::chrono::duration<double>(now - last_).count() < 0.1) return;
  last_ = now;
  const double frac = total_ > 0 ? std::min(1.0, static_cast<double>(done_) / total_) : 1.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  std::fprintf(stderr, "\r%s [%s%s] %3d%% %s / %s ", label_.c_str(),
               std::string(filled, '#').c_str(), std::string(kWidth - filled, ' ').c_str(),
               static_cast<int>(frac * 100), Amount(done_, unit_).c_str(),
               Amount(total_, unit_).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Finish() {
  if (drawn_) std::fprintf(stderr, "\r%*s\r", 72, "");
  drawn_ = false;
}

}  // namespace tp
