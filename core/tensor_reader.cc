#include "core/tensor_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace tp {
namespace {

// Bytes of `count` packed elements (q8_0: `count` is a multiple of the block size).
int64_t BytesOf(DType dtype, int64_t count) {
  if (dtype == DType::kQ8_0) return count / kQ8_0BlockSize * kQ8_0BlockBytes;
  return count * ElementSize(dtype);
}

void SwapBytes(uint8_t* p, int64_t bytes, int esize) {
  if (esize <= 1) return;
  for (int64_t i = 0; i + esize <= bytes; i += esize) std::reverse(p + i, p + i + esize);
}

}  // namespace

TensorBlockReader::TensorBlockReader(Tensor t) : t_(std::move(t)) {
  if (t_.is_streamed()) {
    mode_ = Mode::kStream;
    return;
  }
  if (!t_.is_dense_host_order()) {
    mode_ = Mode::kGather;
    strides_ = t_.strides();
    const int r = t_.rank();
    if (strides_.empty()) {  // row-major in big-endian order
      strides_.assign(r, 1);
      for (int i = r - 2; i >= 0; --i) strides_[i] = strides_[i + 1] * t_.shape()[i + 1];
    }
    index_.assign(r, 0);
    return;
  }
  const MappedFile* f = t_.mapped_file();
  if (f != nullptr && f->data() != nullptr && f->fd() >= 0 && t_.num_elements() > 0) {
    const uintptr_t base = reinterpret_cast<uintptr_t>(f->data());
    const uintptr_t start = reinterpret_cast<uintptr_t>(t_.data());
    const uint64_t bytes = static_cast<uint64_t>(t_.nbytes());
    if (start >= base && start - base <= f->size() && bytes <= f->size() - (start - base)) {
      mode_ = Mode::kFile;
      file_offset_ = static_cast<int64_t>(start - base);
      return;
    }
  }
  mode_ = t_.is_aligned() ? Mode::kDirect : Mode::kCopy;
}

uint8_t* TensorBlockReader::Scratch(int64_t bytes) {
  const size_t words = static_cast<size_t>((bytes + 7) / 8);
  if (scratch_.size() < words) scratch_.resize(words);
  return reinterpret_cast<uint8_t*>(scratch_.data());
}

void TensorBlockReader::Gather(int64_t count, uint8_t* out) {
  const int esize = ElementSize(t_.dtype());
  const int r = t_.rank();
  const bool swap = t_.byte_order() == ByteOrder::kBig && esize > 1;
  for (int64_t n = 0; n < count; ++n) {
    int64_t offset = 0;
    for (int i = 0; i < r; ++i) offset += index_[i] * strides_[i];
    const uint8_t* src = t_.data() + offset * esize;
    uint8_t* dst = out + n * esize;
    if (swap) {
      for (int b = 0; b < esize; ++b) dst[b] = src[esize - 1 - b];
    } else {
      std::memcpy(dst, src, esize);
    }
    for (int i = r - 1; i >= 0; --i) {
      if (++index_[i] < t_.shape()[i]) break;
      index_[i] = 0;
    }
  }
}

absl::StatusOr<TensorBlock> TensorBlockReader::Next(int64_t max_elements) {
  const DType dtype = t_.dtype();
  const int64_t total = t_.num_elements();
  int64_t count = std::min(std::max<int64_t>(max_elements, 1), total - position_);
  if (dtype == DType::kQ8_0) {
    count = count / kQ8_0BlockSize * kQ8_0BlockSize;
    if (count == 0 && position_ < total) count = std::min(kQ8_0BlockSize, total - position_);
  }
  TensorBlock block;
  block.first = position_;
  if (count <= 0) return block;
  block.count = count;
  block.bytes = BytesOf(dtype, count);
  const int64_t offset = BytesOf(dtype, position_);
  switch (mode_) {
    case Mode::kDirect:
      block.data = t_.data() + offset;
      break;
    case Mode::kCopy: {
      uint8_t* dst = Scratch(block.bytes);
      std::memcpy(dst, t_.data() + offset, block.bytes);
      block.data = dst;
      break;
    }
    case Mode::kFile: {
      uint8_t* dst = Scratch(block.bytes);
      const absl::Status s = t_.mapped_file()->ReadAt(file_offset_ + offset, dst, block.bytes);
      if (!s.ok()) {
        // The file changed under us: the mapping is what the reader checked, read from it.
        std::memcpy(dst, t_.data() + offset, block.bytes);
      } else {
        file_bytes_read_ += block.bytes;
      }
      block.data = dst;
      break;
    }
    case Mode::kGather: {
      if (dtype == DType::kQ8_0) {
        return absl::UnimplementedError("strided or byte-swapped q8_0 tensors are not supported");
      }
      uint8_t* dst = Scratch(block.bytes);
      Gather(count, dst);
      block.data = dst;
      break;
    }
    case Mode::kStream: {
      if (stream_ == nullptr) {
        ASSIGN_OR_RETURN(stream_, t_.source()->Open());
      }
      uint8_t* dst = Scratch(block.bytes);
      RETURN_IF_ERROR(ReadFully(*stream_, dst, block.bytes, t_.source()->Describe()));
      if (t_.byte_order() == ByteOrder::kBig && dtype != DType::kQ8_0) {
        SwapBytes(dst, block.bytes, ElementSize(dtype));
      }
      block.data = dst;
      break;
    }
  }
  position_ += count;
  if (mode_ == Mode::kStream && position_ == total) {
    // The end of the stream is where a CRC or a length beyond the shape is caught.
    uint8_t extra;
    ASSIGN_OR_RETURN(size_t n, stream_->Read(&extra, 1));
    if (n != 0) {
      return absl::InvalidArgumentError(absl::StrCat(t_.source()->Describe(),
                                                     ": holds more bytes than its shape needs"));
    }
  }
  return block;
}

}  // namespace tp
