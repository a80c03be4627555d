// Read-only memory-mapped files.
//
// Readers hand out tensors that point into the mapping instead of copying, so reading a 1 GB
// tensor costs no heap; the tensors keep the mapping alive through a shared_ptr.
//
// Example:
//   ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open("model.pth"));
//   absl::string_view bytes = file->bytes();
#ifndef TENSORPORT_CORE_MAPPED_FILE_H_
#define TENSORPORT_CORE_MAPPED_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tp {

class MappedFile {
 public:
  // Maps the whole file. A missing file is NotFound, a directory or unreadable file
  // InvalidArgument; an empty file maps to zero bytes.
  static absl::StatusOr<std::shared_ptr<const MappedFile>> Open(const std::string& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  absl::string_view bytes() const {
    return absl::string_view(reinterpret_cast<const char*>(data_), size_);
  }
  const std::string& path() const { return path_; }
  // Identity of the mapped file (st_dev, st_ino), to recognise it when reopened by path.
  uint64_t device() const { return device_; }
  uint64_t inode() const { return inode_; }
  // The open descriptor of the mapped file (kept for the mapping's lifetime).
  int fd() const { return fd_; }

  // Copies [offset, offset + n) with pread: the bytes arrive without this process mapping the
  // file's pages (a read through the mapping maps whole large folios around every fault).
  absl::Status ReadAt(uint64_t offset, uint8_t* out, size_t n) const;

  // Tells the kernel the given range will not be read again soon, so its pages leave this
  // process's resident set (streaming conversions keep memory near one tensor this way).
  void Release(uint64_t offset, uint64_t length) const;
  // Populates the page tables for the range from the page cache (reading the file if needed),
  // so that a following sequential read takes no per-page faults.
  void Prefetch(uint64_t offset, uint64_t length) const;

 private:
  MappedFile(std::string path, const uint8_t* data, uint64_t size, uint64_t device,
             uint64_t inode, int fd)
      : path_(std::move(path)), data_(data), size_(size), device_(device), inode_(inode),
        fd_(fd) {}

  std::string path_;
  const uint8_t* data_;
  uint64_t size_;
  uint64_t device_;
  uint64_t inode_;
  int fd_;
};

}  // namespace tp

#endif  // TENSORPORT_CORE_MAPPED_FILE_H_
