#include "core/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/cast_kernels.h"
#include "core/half.h"
#include "core/status_macros.h"
#include "core/tensor_reader.h"

namespace tp {


std::string ShapeToString(absl::Span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::StatusOr<int64_t> NumElements(absl::Span<const int64_t> shape) {
  // Like NumPy, the product of the non-zero dimensions must fit even when a zero makes the
  // array empty, so every partial product of a valid shape (strides) fits too.
  int64_t nonzero = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative dimension in shape ", ShapeToString(shape)));
    }
    if (d == 0) {
      empty = true;
      continue;
    }
    if (nonzero > std::numeric_limits<int64_t>::max() / d) {
      return absl::OutOfRangeError(
          absl::StrCat("shape ", ShapeToString(shape), " overflows a 64-bit element count"));
    }
    nonzero *= d;
  }
  return empty ? 0 : nonzero;
}

namespace {

int64_t CheckedCount(const Shape& shape) {
  absl::StatusOr<int64_t> n = NumElements(shape);
  return n.ok() ? *n : 0;
}

struct OwnedBytes {
  explicit OwnedBytes(size_t n) : bytes(new uint8_t[n == 0 ? 1 : n]()) {}
  struct NoFill {};
  OwnedBytes(size_t n, NoFill) : bytes(new uint8_t[n == 0 ? 1 : n]) {}
  std::unique_ptr<uint8_t[]> bytes;
};

}  // namespace

Tensor Tensor::Zeros(DType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.num_elements_ = CheckedCount(t.shape_);
  auto storage = std::make_shared<OwnedBytes>(static_cast<size_t>(t.nbytes()));
  t.data_ = storage->bytes.get();
  t.keep_alive_ = std::move(storage);
  t.owned_ = true;
  return t;
}

Tensor Tensor::Uninitialized(DType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.num_elements_ = CheckedCount(t.shape_);
  auto storage =
      std::make_shared<OwnedBytes>(static_cast<size_t>(t.nbytes()), OwnedBytes::NoFill{});
  t.data_ = storage->bytes.get();
  t.keep_alive_ = std::move(storage);
  t.owned_ = true;
  return t;
}

absl::StatusOr<Tensor> Tensor::FromBytes(DType dtype, Shape shape, absl::string_view bytes) {
  ASSIGN_OR_RETURN(int64_t n, NumElements(shape));
  ASSIGN_OR_RETURN(int64_t need, StorageBytes(dtype, n));
  if (static_cast<int64_t>(bytes.size()) != need) {
    return absl::InvalidArgumentError(absl::StrCat(DTypeName(dtype), " ", ShapeToString(shape),
                                                   " needs ", need, " bytes, got ", bytes.size()));
  }
  Tensor t = Zeros(dtype, std::move(shape));
  if (need > 0) std::memcpy(t.mutable_data(), bytes.data(), need);
  return t;
}

Tensor Tensor::View(DType dtype, Shape shape, std::shared_ptr<const void> keep_alive,
                    const uint8_t* data, std::vector<int64_t> strides, ByteOrder order) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.num_elements_ = CheckedCount(t.shape_);
  t.strides_ = std::move(strides);
  t.order_ = order;
  t.owned_ = false;
  t.keep_alive_ = std::move(keep_alive);
  t.data_ = data;
  return t;
}

Tensor Tensor::View(DType dtype, Shape shape, std::shared_ptr<const MappedFile> file,
                    const uint8_t* data, std::vector<int64_t> strides, ByteOrder order) {
  std::shared_ptr<const void> keep_alive = file;
  Tensor t = View(dtype, std::move(shape), std::move(keep_alive), data, std::move(strides), order);
  t.mapped_ = std::move(file);
  return t;
}

Tensor Tensor::Streamed(DType dtype, Shape shape, std::shared_ptr<const ByteSource> source,
                        ByteOrder order) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.num_elements_ = CheckedCount(t.shape_);
  t.order_ = order;
  t.owned_ = false;
  t.source_ = std::move(source);
  return t;
}

void Tensor::ReleasePages() const {
  uint64_t offset = 0, length = 0;
  if (MappedExtent(&offset, &length)) mapped_->Release(offset, length);
}

void Tensor::PrefetchPages() const {
  uint64_t offset = 0, length = 0;
  if (MappedExtent(&offset, &length)) mapped_->Prefetch(offset, length);
}

bool Tensor::MappedExtent(uint64_t* offset, uint64_t* length) const {
  if (mapped_ == nullptr || owned_ || data_ == nullptr || num_elements_ == 0) return false;
  // The byte extent the view addresses: [lo, hi) relative to data_.
  int64_t lo = 0, hi = 0;
  if (strides_.empty() || dtype_ == DType::kQ8_0) {
    hi = nbytes();
  } else {
    const int64_t esize = ElementSize(dtype_);
    int64_t lo_el = 0, hi_el = 0;
    for (int i = 0; i < rank(); ++i) {
      const int64_t span = (shape_[i] - 1) * strides_[i];
      if (span < 0) {
        lo_el += span;
      } else {
        hi_el += span;
      }
    }
    lo = lo_el * esize;
    hi = (hi_el + 1) * esize;
  }
  // Integer arithmetic: a view whose extent leaves the mapping must not form wild pointers.
  const uintptr_t base = reinterpret_cast<uintptr_t>(mapped_->data());
  const uintptr_t start = reinterpret_cast<uintptr_t>(data_);
  if (base == 0 || hi <= lo || start < base ||
      (lo < 0 && static_cast<uintptr_t>(-lo) > start - base)) {
    return false;  // not inside the mapping: nothing this tensor may touch
  }
  const uint64_t begin = start - base + lo;  // lo <= 0 and checked above
  if (begin > mapped_->size() || static_cast<uint64_t>(hi - lo) > mapped_->size() - begin) {
    return false;
  }
  *offset = begin;
  *length = static_cast<uint64_t>(hi - lo);
  return true;
}

int64_t Tensor::nbytes() const {
  absl::StatusOr<int64_t> b = StorageBytes(dtype_, num_elements_);
  return b.ok() ? *b : 0;
}

bool Tensor::is_aligned() const {
  const int esize = ElementSize(dtype_);
  return esize <= 1 || reinterpret_cast<uintptr_t>(data_) % esize == 0;
}

bool Tensor::is_packed() const { return is_dense_host_order() && is_aligned(); }

bool Tensor::is_dense_host_order() const {
  if (source_ != nullptr) return false;
  if (order_ == ByteOrder::kBig && ElementSize(dtype_) > 1) return false;
  if (strides_.empty()) return true;
  int64_t expected = 1;
  for (int i = rank() - 1; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

absl::StatusOr<Tensor> Tensor::ReadStreamWhole() const {
  const int64_t need = nbytes();
  ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> stream, source_->Open());
  // Grow with the bytes that arrive (doubling, capped at the size the shape needs), so a source
  // that claims more than it holds never sizes a large allocation.
  auto storage = std::make_shared<std::vector<uint8_t>>();
  std::vector<uint8_t>& bytes = *storage;
  size_t have = 0;
  constexpr size_t kStep = size_t{16} << 20;
  while (true) {
    if (have == bytes.size()) {
      if (have == static_cast<size_t>(need)) {
        uint8_t extra;
        ASSIGN_OR_RETURN(size_t n, stream->Read(&extra, 1));
        if (n != 0) {
          return absl::InvalidArgumentError(absl::StrCat(source_->Describe(), ": holds more than the ",
                                                         need, " bytes its shape needs"));
        }
        break;
      }
      bytes.resize(std::min<size_t>(need, std::max(kStep, 2 * have)));
    }
    ASSIGN_OR_RETURN(size_t n, stream->Read(bytes.data() + have, bytes.size() - have));
    if (n == 0) break;
    have += n;
  }
  if (have != static_cast<size_t>(need)) {
    return absl::OutOfRangeError(absl::StrCat(source_->Describe(), ": ends after ", have,
                                              " bytes, its shape needs ", need));
  }
  const int esize = dtype_ == DType::kQ8_0 ? 1 : ElementSize(dtype_);
  if (order_ == ByteOrder::kBig && esize > 1) {
    for (size_t i = 0; i + esize <= have; i += esize) {
      std::reverse(bytes.begin() + i, bytes.begin() + i + esize);
    }
  }
  // std::vector's data is aligned for any element type (operator new's alignment).
  Tensor out;
  out.dtype_ = dtype_;
  out.shape_ = shape_;
  out.num_elements_ = num_elements_;
  out.owned_ = true;
  out.data_ = bytes.data();
  out.keep_alive_ = std::move(storage);
  return out;
}

absl::StatusOr<Tensor> Tensor::Contiguous() const {
  if (is_packed()) return *this;
  if (source_ != nullptr) return ReadStreamWhole();
  if (dtype_ == DType::kQ8_0) {
    return absl::UnimplementedError("strided or byte-swapped q8_0 tensors are not supported");
  }
  Tensor out = Zeros(dtype_, shape_);
  // Nothing to copy; and with a zero dimension the default strides below could overflow.
  if (num_elements_ == 0) return out;
  if (is_dense_host_order()) {
    // Only misaligned: one copy into the (aligned) heap buffer.
    std::memcpy(out.mutable_data(), data_, static_cast<size_t>(nbytes()));
    return out;
  }
  const int esize = ElementSize(dtype_);
  const int r = rank();
  std::vector<int64_t> strides = strides_;
  if (strides.empty()) {
    strides.assign(r, 1);
    for (int i = r - 2; i >= 0; --i) strides[i] = strides[i + 1] * shape_[i + 1];
  }
  std::vector<int64_t> index(r, 0);
  uint8_t* dst = out.mutable_data();
  const bool swap = order_ == ByteOrder::kBig && esize > 1;
  for (int64_t n = 0; n < num_elements_; ++n) {
    int64_t offset = 0;
    for (int i = 0; i < r; ++i) offset += index[i] * strides[i];
    const uint8_t* src = data_ + offset * esize;
    if (swap) {
      for (int b = 0; b < esize; ++b) dst[n * esize + b] = src[esize - 1 - b];
    } else {
      std::memcpy(dst + n * esize, src, esize);
    }
    for (int i = r - 1; i >= 0; --i) {
      if (++index[i] < shape_[i]) break;
      index[i] = 0;
    }
  }
  return out;
}

absl::StatusOr<Tensor> Tensor::Reshaped(Shape shape) const {
  ASSIGN_OR_RETURN(int64_t n, NumElements(shape));
  if (n != num_elements_) {
    return absl::InvalidArgumentError(absl::StrCat("cannot reshape ", ShapeToString(shape_),
                                                   " (", num_elements_, " elements) to ",
                                                   ShapeToString(shape)));
  }
  ASSIGN_OR_RETURN(Tensor t, Contiguous());
  t.shape_ = std::move(shape);
  t.strides_.clear();
  return t;
}

namespace {

// Decodes `count` packed elements starting at `src` into floats (or doubles).
template <typename Out>
void Decode(DType dtype, const uint8_t* src, int64_t count, Out* out) {
  switch (dtype) {
    case DType::kF32: {
      const float* p = reinterpret_cast<const float*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    }
    case DType::kF16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(F16BitsToF32(p[i]));
      break;
    }
    case DType::kBF16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(BF16BitsToF32(p[i]));
      break;
    }
    case DType::kF64: {
      const double* p = reinterpret_cast<const double*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    }
    case DType::kI8: {
      const int8_t* p = reinterpret_cast<const int8_t*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    }
    case DType::kI16: {
      const int16_t* p = reinterpret_cast<const int16_t*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    }
    case DType::kI32: {
      const int32_t* p = reinterpret_cast<const int32_t*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    }
    case DType::kI64: {
      const int64_t* p = reinterpret_cast<const int64_t*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    }
    case DType::kU8:
    case DType::kBool:
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(src[i]);
      break;
    case DType::kU16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    }
    case DType::kU32: {
      const uint32_t* p = reinterpret_cast<const uint32_t*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    }
    case DType::kU64: {
      const uint64_t* p = reinterpret_cast<const uint64_t*>(src);
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    }
    case DType::kQ8_0:
      // `count` is a multiple of the block size here.
      for (int64_t b = 0; b < count / kQ8_0BlockSize; ++b) {
        const uint8_t* block = src + b * kQ8_0BlockBytes;
        uint16_t scale_bits;
        std::memcpy(&scale_bits, block, 2);
        const float scale = F16BitsToF32(scale_bits);
        const int8_t* q = reinterpret_cast<const int8_t*>(block + 2);
        for (int64_t i = 0; i < kQ8_0BlockSize; ++i) {
          out[b * kQ8_0BlockSize + i] = static_cast<Out>(static_cast<float>(q[i]) * scale);
        }
      }
      break;
  }
}

}  // namespace

absl::StatusOr<Tensor> Cast(const Tensor& input, DType to) {
  if (input.dtype() == to) return input.Contiguous();
  const int64_t n = input.num_elements();
  if (to == DType::kQ8_0 && n % kQ8_0BlockSize != 0) {
    return absl::InvalidArgumentError(absl::StrCat("q8_0 needs a multiple of ", kQ8_0BlockSize,
                                                   " elements, tensor ", ShapeToString(input.shape()),
                                                   " has ", n));
  }
  Tensor out = Tensor::Uninitialized(to, input.shape());
  // Blocks keep the input's own storage (a view into a file, a stream) from being copied whole.
  constexpr int64_t kBlock = int64_t{1} << 16;  // a multiple of the q8_0 block
  TensorBlockReader reader(input);
  while (true) {
    ASSIGN_OR_RETURN(TensorBlock b, reader.Next(kBlock));
    if (b.count == 0) break;
    const int64_t out_offset = to == DType::kQ8_0 ? b.first / kQ8_0BlockSize * kQ8_0BlockBytes
                                                  : b.first * ElementSize(to);
    CastBlock(input.dtype(), b.data, b.count, to, out.mutable_data() + out_offset);
  }
  return out;
}

namespace {

// A cast computed as it is read: each stream reads the input a block at a time and converts it.
class CastSource : public ByteSource {
 public:
  CastSource(Tensor input, DType to) : input_(std::move(input)), to_(to) {}
  uint64_t size() const override {
    absl::StatusOr<int64_t> b = StorageBytes(to_, input_.num_elements());
    return b.ok() ? static_cast<uint64_t>(*b) : 0;
  }
  std::string Describe() const override {
    return absl::StrCat(DTypeName(input_.dtype()), " ", ShapeToString(input_.shape()), " cast to ",
                        DTypeName(to_));
  }
  absl::StatusOr<std::unique_ptr<ByteStream>> Open() const override {
    return std::unique_ptr<ByteStream>(new Stream(input_, to_));
  }

 private:
  class Stream : public ByteStream {
   public:
    Stream(const Tensor& input, DType to) : reader_(input), from_(input.dtype()), to_(to) {}
    absl::StatusOr<size_t> Read(uint8_t* out, size_t n) override {
      size_t done = 0;
      while (done < n) {
        if (pending_offset_ == pending_.size()) {
          ASSIGN_OR_RETURN(TensorBlock b, reader_.Next(kBlock));
          if (b.count == 0) break;
          const int64_t bytes = to_ == DType::kQ8_0 ? b.count / kQ8_0BlockSize * kQ8_0BlockBytes
                                                    : b.count * ElementSize(to_);
          pending_.resize(static_cast<size_t>(bytes));
          CastBlock(from_, b.data, b.count, to_, pending_.data());
          pending_offset_ = 0;
        }
        const size_t m = std::min(n - done, pending_.size() - pending_offset_);
        std::memcpy(out + done, pending_.data() + pending_offset_, m);
        pending_offset_ += m;
        done += m;
      }
      return done;
    }

   private:
    static constexpr int64_t kBlock = int64_t{1} << 16;
    TensorBlockReader reader_;
    DType from_, to_;
    std::vector<uint8_t> pending_;
    size_t pending_offset_ = 0;
  };

  Tensor input_;
  DType to_;
};

}  // namespace

absl::StatusOr<Tensor> CastLazily(const Tensor& input, DType to) {
  if (input.dtype() == to) return input;
  const int64_t n = input.num_elements();
  if (to == DType::kQ8_0 && n % kQ8_0BlockSize != 0) {
    return absl::InvalidArgumentError(absl::StrCat("q8_0 needs a multiple of ", kQ8_0BlockSize,
                                                   " elements, tensor ", ShapeToString(input.shape()),
                                                   " has ", n));
  }
  return Tensor::Streamed(to, input.shape(), std::make_shared<CastSource>(input, to));
}

void DecodeToDouble(DType dtype, const uint8_t* src, int64_t count, double* out) {
  Decode(dtype, src, count, out);
}

absl::StatusOr<std::vector<double>> ToDoubleVector(const Tensor& input) {
  ASSIGN_OR_RETURN(Tensor t, input.Contiguous());
  std::vector<double> out(t.num_elements());
  Decode(t.dtype(), t.data(), t.num_elements(), out.data());
  return out;
}

Tensor TensorFromFloats(Shape shape, absl::Span<const float> values) {
  Tensor t = Tensor::Zeros(DType::kF32, std::move(shape));
  std::memcpy(t.mutable_data(), values.data(),
              std::min<size_t>(values.size(), t.num_elements()) * sizeof(float));
  return t;
}

absl::StatusOr<TensorStats> ComputeStats(const Tensor& input) {
  TensorStats s;
  constexpr int64_t kChunk = 1 << 16;  // a multiple of the q8_0 block
  std::vector<double> buffer;
  // Welford's update keeps the variance accurate for large tensors with a large mean.
  double mean = 0, m2 = 0;
  bool first = true;
  TensorBlockReader reader(input);
  while (true) {
    ASSIGN_OR_RETURN(TensorBlock block, reader.Next(kChunk));
    if (block.count == 0) break;
    const int64_t count = block.count;
    buffer.resize(count);
    Decode(input.dtype(), block.data, count, buffer.data());
    for (int64_t i = 0; i < count; ++i) {
      const double v = buffer[i];
      if (std::isnan(v)) {
        ++s.nan_count;
        continue;
      }
      if (std::isinf(v)) {
        ++s.inf_count;
        continue;
      }
      if (first) {
        s.min = s.max = v;
        first = false;
      }
      s.min = std::min(s.min, v);
      s.max = std::max(s.max, v);
      ++s.count;
      const double delta = v - mean;
      mean += delta / s.count;
      m2 += delta * (v - mean);
    }
  }
  s.mean = mean;
  s.std = s.count > 0 ? std::sqrt(m2 / s.count) : 0.0;
  return s;
}

}  // namespace tp
