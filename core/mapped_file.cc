#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tp {

absl::StatusOr<std::shared_ptr<const MappedFile>> MappedFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string message = absl::StrCat(path, ": cannot open: ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    return absl::InvalidArgumentError(message);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint8_t* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": cannot map ", size, " bytes: ", std::strerror(err)));
    }
    data = static_cast<const uint8_t*>(p);
  }
  // The descriptor stays open: readers pread from it and writers copy_file_range from it, which
  // moves bytes without faulting the mapping in.
  return std::shared_ptr<const MappedFile>(new MappedFile(path, data, size,
                                                         static_cast<uint64_t>(st.st_dev),
                                                         static_cast<uint64_t>(st.st_ino), fd));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

absl::Status MappedFile::ReadAt(uint64_t offset, uint8_t* out, size_t n) const {
  if (offset > size_ || n > size_ - offset) {
    return absl::OutOfRangeError(absl::StrCat(path_, ": read of ", n, " bytes at offset ", offset,
                                              " runs past the end of the ", size_, "-byte file"));
  }
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return absl::DataLossError(absl::StrCat(path_, ": read at offset ", offset + done,
                                              " failed: ",
                                              got < 0 ? std::strerror(errno) : "file shrank"));
    }
    done += static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

void MappedFile::Release(uint64_t offset, uint64_t length) const {
  if (data_ == nullptr || offset >= size_) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  // Only whole pages inside the range may be dropped.
  uint64_t begin = (offset + page - 1) / page * page;
  uint64_t end = std::min(size_, offset + length) / page * page;
  if (offset + length >= size_) end = (size_ + page - 1) / page * page;
  if (end <= begin) return;
  ::madvise(const_cast<uint8_t*>(data_) + begin, end - begin, MADV_DONTNEED);
}

}  // namespace tp

namespace tp {

void MappedFile::Prefetch(uint64_t offset, uint64_t length) const {
  if (data_ == nullptr || offset >= size_) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t begin = offset / page * page;
  const uint64_t end = std::min(size_, offset + length);
  if (end <= begin) return;
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14
#endif
  void* p = const_cast<uint8_t*>(data_) + begin;
  if (::madvise(p, end - begin, MADV_POPULATE_READ) != 0) {
    ::madvise(p, end - begin, MADV_WILLNEED);  // older kernels: at least start the reads
  }
}

}  // namespace tp
