#include "core/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tp {
namespace {
constexpr size_t kBufferSize = 1 << 20;
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Create(const std::string& path) {
  std::string temp = absl::StrCat(path, ".tmp-", ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot create output: ", std::strerror(errno)));
  }
  return std::unique_ptr<OutputFile>(new OutputFile(path, std::move(temp), fd));
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

absl::Status OutputFile::FlushBuffer() {
  absl::Status s = WriteAll(buffer_);
  buffer_.clear();
  return s;
}

absl::Status OutputFile::Write(absl::string_view bytes) {
  offset_ += bytes.size();
  if (buffer_.size() + bytes.size() <= kBufferSize) {
    buffer_.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  absl::Status s = FlushBuffer();
  if (!s.ok()) return s;
  if (bytes.size() >= kBufferSize) return WriteAll(bytes);  // large: straight from the caller
  buffer_.append(bytes.data(), bytes.size());
  return absl::OkStatus();
}

absl::Status OutputFile::WriteAll(absl::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status OutputFile::WriteZeros(uint64_t count) {
  static const char kZeros[4096] = {};
  while (count > 0) {
    const uint64_t n = std::min<uint64_t>(count, sizeof(kZeros));
    absl::Status s = Write(absl::string_view(kZeros, n));
    if (!s.ok()) return s;
    count -= n;
  }
  return absl::OkStatus();
}

absl::Status OutputFile::Commit() {
  absl::Status s = FlushBuffer();
  if (!s.ok()) return s;
  if (::close(fd_) != 0) {
    fd_ = -1;
    return absl::InternalError(absl::StrCat(path_, ": close failed: ", std::strerror(errno)));
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(path_, ": rename failed: ", std::strerror(errno)));
  }
  committed_ = true;
  return absl::OkStatus();
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace tp
