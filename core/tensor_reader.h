// Reads any tensor's elements in row-major order, a block at a time, as packed little-endian bytes
// aligned to the element size: the one way the project walks a tensor that may be larger than
// memory (statistics, layer diffs, writers).
//
// Whatever the storage, memory stays at one block:
//   - owned or packed in-memory tensors: blocks point into the data, no copy;
//   - views into memory-mapped files: read with pread into a scratch block, so the file's pages
//     never enter this process (reading through the mapping maps whole large folios around each
//     fault, which stay resident);
//   - misaligned, strided or big-endian views: copied, gathered or swapped into the scratch block;
//   - streamed tensors (a deflated .npz entry): inflated into the scratch block.
//
// Example:
//   TensorBlockReader reader(tensor);
//   while (true) {
//     ASSIGN_OR_RETURN(TensorBlock b, reader.Next(/*max_elements=*/1 << 16));
//     if (b.count == 0) break;
//     DecodeToDouble(tensor.dtype(), b.data, b.count, buffer);
//   }
#ifndef TENSORPORT_CORE_TENSOR_READER_H_
#define TENSORPORT_CORE_TENSOR_READER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/byte_source.h"
#include "core/tensor.h"

namespace tp {

struct TensorBlock {
  const uint8_t* data = nullptr;  // packed, little-endian, aligned to the element size
  int64_t first = 0;              // index of the block's first element
  int64_t count = 0;              // elements in the block; 0 at the end
  int64_t bytes = 0;
};

class TensorBlockReader {
 public:
  explicit TensorBlockReader(Tensor t);
  TensorBlockReader(const TensorBlockReader&) = delete;
  TensorBlockReader& operator=(const TensorBlockReader&) = delete;

  // The next block of at most `max_elements` elements (for q8_0 a whole number of 32-element
  // blocks, at least one); count 0 once every element was delivered. The block stays valid until
  // the next call.
  absl::StatusOr<TensorBlock> Next(int64_t max_elements);

  // Elements delivered so far.
  int64_t position() const { return position_; }
  // Bytes this reader copied out of files with pread (the rest came from memory or a stream).
  int64_t file_bytes_read() const { return file_bytes_read_; }

 private:
  enum class Mode { kDirect, kFile, kCopy, kGather, kStream };

  uint8_t* Scratch(int64_t bytes);
  void Gather(int64_t count, uint8_t* out);

  Tensor t_;
  Mode mode_ = Mode::kDirect;
  int64_t position_ = 0;
  int64_t file_offset_ = 0;  // kFile: offset of the tensor's first byte in the mapped file
  int64_t file_bytes_read_ = 0;
  std::vector<uint64_t> scratch_;   // 8-byte aligned
  std::vector<int64_t> strides_;    // kGather: element strides
  std::vector<int64_t> index_;      // kGather: multi-index of the next element
  std::unique_ptr<ByteStream> stream_;
};

// Writes all of `t`'s packed little-endian bytes to `sink`, a block at a time.
template <typename Sink>
absl::Status ForEachBlock(const Tensor& t, int64_t max_elements, Sink&& sink) {
  TensorBlockReader reader(t);
  while (true) {
    absl::StatusOr<TensorBlock> b = reader.Next(max_elements);
    if (!b.ok()) return b.status();
    if (b->count == 0) return absl::OkStatus();
    absl::Status s = sink(*b);
    if (!s.ok()) return s;
  }
}

}  // namespace tp

#endif  // TENSORPORT_CORE_TENSOR_READER_H_
