// Atomic output: bytes go to a file that has no name in the destination folder until Commit()
// gives it the destination's name in one step. A writer that fails half-way, is destroyed without
// Commit, or whose process is killed (SIGINT, SIGTERM, even SIGKILL) leaves nothing behind.
//
// Where the filesystem supports it the file is created unnamed (O_TMPFILE) and linked in by
// Commit (linkat to a temporary name, renamed over the destination); a kill at any point before
// that leaves only an unnamed inode the kernel reclaims. Elsewhere the file is a hidden temporary
// beside the destination, removed by the destructor, and by a SIGINT / SIGTERM handler that
// unlinks every live temporary before the signal takes its default course. (Only SIGKILL on such
// a filesystem can leave a temporary: nothing runs after it.)
//
// Large tensor bytes that already sit in a file can be moved inside the kernel with CopyFrom
// (splice through a pipe, else copy_file_range: no user-space copy, no page faults on a source
// mapping), falling back to pread + write where the kernel or filesystem refuses.
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create("model.gguf"));
//   RETURN_IF_ERROR(out->Write(header));
//   RETURN_IF_ERROR(out->CopyFrom(source_fd, offset, length));
//   RETURN_IF_ERROR(out->Commit());
#ifndef TENSORPORT_CORE_OUTPUT_FILE_H_
#define TENSORPORT_CORE_OUTPUT_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"

namespace tp {

class OutputFile {
 public:
  static absl::StatusOr<std::unique_ptr<OutputFile>> Create(const std::string& path);
  ~OutputFile();  // discards the data unless committed

  absl::Status Write(absl::string_view bytes);
  absl::Status Write(const void* data, size_t size) {
    return Write(absl::string_view(static_cast<const char*>(data), size));
  }
  absl::Status WriteZeros(uint64_t count);
  // Appends `length` bytes of the file open as `fd`, starting at `offset`, copying inside the
  // kernel where it can.
  absl::Status CopyFrom(int fd, uint64_t offset, uint64_t length);
  uint64_t offset() const { return offset_; }
  const std::string& path() const { return path_; }
  // True when the data has no name yet (O_TMPFILE); false for the named-temporary fallback.
  bool unnamed() const { return temp_path_.empty(); }

  // Flushes and gives the data the destination's name (replacing any file there).
  absl::Status Commit();

  // Tests of the fallbacks: CopyFrom starts at way `first` (0 splice, 1 copy_file_range,
  // 2 pread + write) as if the faster ones had been refused.
  void StartCopiesAtWayForTesting(int first) {
    splice_usable_ = first <= 0;
    copy_range_usable_ = first <= 1;
  }

 private:
  OutputFile(std::string path, std::string temp_path, int fd)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}
  absl::Status FlushBuffer();
  absl::Status WriteAll(absl::string_view bytes);  // unbuffered, retries short writes
  // CopyFrom's three ways, fastest first. Each copies from *in while *left > 0 and returns OK
  // with bytes left when its way is refused for these files (and is not tried again).
  absl::Status SpliceFrom(int fd, loff_t* in, uint64_t* left, uint64_t length);
  absl::Status CopyRangeFrom(int fd, loff_t* in, uint64_t* left, uint64_t length);
  absl::Status ReadFrom(int fd, loff_t* in, uint64_t* left, uint64_t length);
  absl::Status ShortSource(uint64_t left, uint64_t length) const;
  void ClosePipe();

  std::string path_;
  std::string temp_path_;  // empty while the data is unnamed
  int fd_;
  uint64_t offset_ = 0;
  std::string buffer_;
  bool committed_ = false;
  int pipe_[2] = {-1, -1};  // SpliceFrom's, made on first use
  size_t pipe_size_ = 0;
  bool splice_usable_ = true;
  bool copy_range_usable_ = true;
};

// Appends `t`'s packed little-endian bytes: moved inside the kernel from the source file for a
// dense view into a mapped file (aligned or not: the bytes are the same), streamed a block at a
// time otherwise (strided, byte-swapped and streamed tensors included).
absl::Status WriteTensorBytes(OutputFile& out, const Tensor& t);
// True when WriteTensorBytes moves `t`'s bytes inside the kernel (its pages need not be mapped).
bool MovableInKernel(const Tensor& t);

// True when both paths name the same existing file (refuse converting a file onto itself).
bool SameFile(const std::string& a, const std::string& b);

}  // namespace tp

#endif  // TENSORPORT_CORE_OUTPUT_FILE_H_
