#include "core/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/half.h"
#include "core/status_macros.h"

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

bool Tensor::is_packed() const { return IsDenseHostOrder() && is_aligned(); }

bool Tensor::IsDenseHostOrder() const {
  if (order_ == ByteOrder::kBig && ElementSize(dtype_) > 1) return false;
  if (strides_.empty()) return true;
  int64_t expected = 1;
  for (int i = rank() - 1; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

absl::StatusOr<Tensor> Tensor::Contiguous() const {
  if (is_packed()) return *this;
  if (dtype_ == DType::kQ8_0) {
    return absl::UnimplementedError("strided or byte-swapped q8_0 tensors are not supported");
  }
  Tensor out = Zeros(dtype_, shape_);
  // Nothing to copy; and with a zero dimension the default strides below could overflow.
  if (num_elements_ == 0) return out;
  if (IsDenseHostOrder()) {
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

template <typename Int>
Int SaturatingFromDouble(double v) {
  if (std::isnan(v)) return 0;
  if (v <= static_cast<double>(std::numeric_limits<Int>::min())) {
    return std::numeric_limits<Int>::min();
  }
  if (v >= static_cast<double>(std::numeric_limits<Int>::max())) {
    return std::numeric_limits<Int>::max();
  }
  return static_cast<Int>(v);  // truncates toward zero
}

void QuantizeQ8_0(const float* src, int64_t count, uint8_t* dst) {
  for (int64_t b = 0; b < count / kQ8_0BlockSize; ++b) {
    const float* x = src + b * kQ8_0BlockSize;
    float amax = 0.0f;
    for (int64_t i = 0; i < kQ8_0BlockSize; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    uint8_t* block = dst + b * kQ8_0BlockBytes;
    const uint16_t scale_bits = F32ToF16Bits(d);
    std::memcpy(block, &scale_bits, 2);
    int8_t* q = reinterpret_cast<int8_t*>(block + 2);
    for (int64_t i = 0; i < kQ8_0BlockSize; ++i) {
      q[i] = static_cast<int8_t>(std::lround(x[i] * id));
    }
  }
}

// Encodes doubles (for exact f64 and 64-bit integer targets) or floats into `to`.
void EncodeFromDouble(const double* src, int64_t count, DType to, uint8_t* dst) {
  switch (to) {
    case DType::kF32: {
      float* p = reinterpret_cast<float*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = static_cast<float>(src[i]);
      break;
    }
    case DType::kF16: {
      uint16_t* p = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = F32ToF16Bits(static_cast<float>(src[i]));
      break;
    }
    case DType::kBF16: {
      uint16_t* p = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = F32ToBF16Bits(static_cast<float>(src[i]));
      break;
    }
    case DType::kF64: {
      std::memcpy(dst, src, count * sizeof(double));
      break;
    }
    case DType::kI8: {
      int8_t* p = reinterpret_cast<int8_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<int8_t>(src[i]);
      break;
    }
    case DType::kI16: {
      int16_t* p = reinterpret_cast<int16_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<int16_t>(src[i]);
      break;
    }
    case DType::kI32: {
      int32_t* p = reinterpret_cast<int32_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<int32_t>(src[i]);
      break;
    }
    case DType::kI64: {
      int64_t* p = reinterpret_cast<int64_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<int64_t>(src[i]);
      break;
    }
    case DType::kU8:
      for (int64_t i = 0; i < count; ++i) dst[i] = SaturatingFromDouble<uint8_t>(src[i]);
      break;
    case DType::kBool:
      for (int64_t i = 0; i < count; ++i) dst[i] = src[i] != 0.0 ? 1 : 0;
      break;
    case DType::kQ8_0: {
      std::vector<float> tmp(src, src + count);
      QuantizeQ8_0(tmp.data(), count, dst);
      break;
    }
  }
}

}  // namespace

absl::StatusOr<Tensor> Cast(const Tensor& input, DType to) {
  ASSIGN_OR_RETURN(Tensor t, input.Contiguous());
  if (t.dtype() == to) return t;
  const int64_t n = t.num_elements();
  if (to == DType::kQ8_0 && n % kQ8_0BlockSize != 0) {
    return absl::InvalidArgumentError(absl::StrCat("q8_0 needs a multiple of ", kQ8_0BlockSize,
                                                   " elements, tensor ", ShapeToString(t.shape()),
                                                   " has ", n));
  }
  Tensor out = Tensor::Zeros(to, t.shape());
  // Chunks keep the intermediate buffer small for large tensors; a multiple of the q8_0 block.
  constexpr int64_t kChunk = 1 << 16;
  const int64_t in_esize = t.dtype() == DType::kQ8_0 ? 0 : ElementSize(t.dtype());
  const int64_t out_esize = to == DType::kQ8_0 ? 0 : ElementSize(to);
  std::vector<double> buffer(std::min<int64_t>(n, kChunk));
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t count = std::min(kChunk, n - start);
    const uint8_t* src = t.dtype() == DType::kQ8_0
                             ? t.data() + start / kQ8_0BlockSize * kQ8_0BlockBytes
                             : t.data() + start * in_esize;
    uint8_t* dst = to == DType::kQ8_0
                       ? out.mutable_data() + start / kQ8_0BlockSize * kQ8_0BlockBytes
                       : out.mutable_data() + start * out_esize;
    Decode(t.dtype(), src, count, buffer.data());
    EncodeFromDouble(buffer.data(), count, to, dst);
  }
  return out;
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
  ASSIGN_OR_RETURN(Tensor t, input.Contiguous());
  TensorStats s;
  const int64_t n = t.num_elements();
  constexpr int64_t kChunk = 1 << 16;
  std::vector<double> buffer(std::min<int64_t>(n, kChunk));
  const int64_t esize = t.dtype() == DType::kQ8_0 ? 0 : ElementSize(t.dtype());
  // Welford's update keeps the variance accurate for large tensors with a large mean.
  double mean = 0, m2 = 0;
  bool first = true;
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t count = std::min(kChunk, n - start);
    const uint8_t* src = t.dtype() == DType::kQ8_0
                             ? t.data() + start / kQ8_0BlockSize * kQ8_0BlockBytes
                             : t.data() + start * esize;
    Decode(t.dtype(), src, count, buffer.data());
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
