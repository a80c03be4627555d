// Atomic output: bytes go to a temporary file beside the destination, which is renamed over it
// only by Commit(). A writer that fails half-way (or is destroyed without Commit) leaves no
// partial file behind.
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create("model.gguf"));
//   RETURN_IF_ERROR(out->Write(header));
//   RETURN_IF_ERROR(out->Commit());
#ifndef TENSORPORT_CORE_OUTPUT_FILE_H_
#define TENSORPORT_CORE_OUTPUT_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tp {

class OutputFile {
 public:
  static absl::StatusOr<std::unique_ptr<OutputFile>> Create(const std::string& path);
  ~OutputFile();  // removes the temporary file unless committed

  absl::Status Write(absl::string_view bytes);
  absl::Status Write(const void* data, size_t size) {
    return Write(absl::string_view(static_cast<const char*>(data), size));
  }
  absl::Status WriteZeros(uint64_t count);
  uint64_t offset() const { return offset_; }
  const std::string& path() const { return path_; }

  // Flushes and renames the temporary file onto the destination.
  absl::Status Commit();

 private:
  OutputFile(std::string path, std::string temp_path, int fd)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}
  absl::Status FlushBuffer();
  absl::Status WriteAll(absl::string_view bytes);  // unbuffered, retries short writes

  std::string path_;
  std::string temp_path_;
  int fd_;
  uint64_t offset_ = 0;
  std::string buffer_;
  bool committed_ = false;
};

// True when both paths name the same existing file (refuse converting a file onto itself).
bool SameFile(const std::string& a, const std::string& b);

}  // namespace tp

#endif  // TENSORPORT_CORE_OUTPUT_FILE_H_
