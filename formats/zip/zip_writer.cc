// ZipWriter (zip.h): stored and deflated entries, ZIP64 when sizes or offsets need it, optional
// alignment of stored data, written atomically through OutputFile.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "formats/zip/zip.h"
#include "formats/zip/zip_format.h"

namespace tp {

using zip_format::kLocalSig;
using zip_format::kCentralSig;
using zip_format::kEocdSig;
using zip_format::kZip64EocdSig;
using zip_format::kZip64LocSig;
using zip_format::kZip64ExtraId;
using zip_format::kPaddingExtraId;
using zip_format::kMax32;
using zip_format::kMax16;
using zip_format::kLocalHeaderSize;
using zip_format::kZip64EocdSize;
using zip_format::Quoted;
using zip_format::Put16;
using zip_format::Put32;
using zip_format::Put64;
using zip_format::Crc32;

namespace {

// DOS date/time of 1980-01-01 00:00 (a fixed time keeps output reproducible).
constexpr uint16_t kDosTime = 0;
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;

absl::StatusOr<std::string> Deflate(absl::Span<const absl::string_view> parts,
                                    absl::string_view name) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return absl::InternalError(absl::StrCat("entry ", Quoted(name), ": deflateInit2 failed"));
  }
  std::string out;
  char chunk[1 << 16];
  for (size_t p = 0; p <= parts.size(); ++p) {
    const bool last = p == parts.size();
    absl::string_view data = last ? absl::string_view() : parts[p];
    do {
      const size_t n = std::min<size_t>(data.size(), 1u << 30);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      zs.avail_in = static_cast<uInt>(n);
      const int flush = (last && n == data.size()) ? Z_FINISH : Z_NO_FLUSH;
      int ret;
      do {
        zs.next_out = reinterpret_cast<Bytef*>(chunk);
        zs.avail_out = sizeof(chunk);
        ret = deflate(&zs, flush);
        if (ret == Z_STREAM_ERROR) {
          deflateEnd(&zs);
          return absl::InternalError(absl::StrCat("entry ", Quoted(name), ": deflate failed"));
        }
        out.append(chunk, sizeof(chunk) - zs.avail_out);
      } while (zs.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
      data.remove_prefix(n);
    } while (!data.empty());
  }
  deflateEnd(&zs);
  return out;
}

}  // namespace

absl::Status ZipWriter::Add(absl::string_view name, absl::string_view data, uint16_t method,
                            uint32_t align) {
  const absl::string_view parts[] = {data};
  return AddParts(name, parts, method, align);
}

absl::Status ZipWriter::AddParts(absl::string_view name, absl::Span<const absl::string_view> parts,
                                 uint16_t method, uint32_t align) {
  const std::string& path = out_->path();
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": entry ", Quoted(name), " added after Finish()"));
  }
  if (method != 0 && method != 8) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": entry ", Quoted(name), ": method ",
                                                   method, ", expected 0 (stored) or 8 (deflated)"));
  }
  if (name.size() > kMax16) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": entry name of ", name.size(),
                                                   " bytes, expected at most 65535"));
  }
  if (align > 1 && ((align & (align - 1)) != 0 || align > 16384)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": alignment ", align, ", expected a power of two of at most 16384"));
  }
  ZipEntry e;
  e.name = std::string(name);
  e.method = method;
  uint32_t crc = crc32(0, Z_NULL, 0);
  uint64_t usize = 0;
  for (absl::string_view p : parts) {
    crc = Crc32(crc, p);
    usize += p.size();
  }
  e.crc32 = crc;
  e.uncompressed_size = usize;
  std::string compressed;
  if (method == 8) {
    ASSIGN_OR_RETURN(compressed, Deflate(parts, name));
    e.compressed_size = compressed.size();
  } else {
    e.compressed_size = usize;
  }
  const uint64_t offset = out_->offset();
  const bool zip64 =
      force_zip64_ || e.uncompressed_size >= kMax32 || e.compressed_size >= kMax32;

  std::string extra;
  if (zip64) {
    Put16(&extra, kZip64ExtraId);
    Put16(&extra, 16);
    Put64(&extra, e.uncompressed_size);
    Put64(&extra, e.compressed_size);
  }
  if (method == 0 && align > 1) {
    const uint64_t base = offset + kLocalHeaderSize + name.size() + extra.size();
    uint64_t pad = (align - base % align) % align;
    if (pad != 0) {
      // An extra record needs 4 bytes of its own.
      while (pad < 4) pad += align;
      Put16(&extra, kPaddingExtraId);
      Put16(&extra, static_cast<uint16_t>(pad - 4));
      extra.append(pad - 4, '\0');
    }
  }
  std::string header;
  Put32(&header, kLocalSig);
  Put16(&header, zip64 ? 45 : 20);  // version needed
  Put16(&header, 0x0800);           // flags: UTF-8 names
  Put16(&header, method);
  Put16(&header, kDosTime);
  Put16(&header, kDosDate);
  Put32(&header, e.crc32);
  Put32(&header, zip64 ? kMax32 : static_cast<uint32_t>(e.compressed_size));
  Put32(&header, zip64 ? kMax32 : static_cast<uint32_t>(e.uncompressed_size));
  Put16(&header, static_cast<uint16_t>(name.size()));
  Put16(&header, static_cast<uint16_t>(extra.size()));
  header.append(name.data(), name.size());
  header.append(extra);
  RETURN_IF_ERROR(out_->Write(header));
  e.data_offset = out_->offset();
  if (method == 8) {
    RETURN_IF_ERROR(out_->Write(compressed));
  } else {
    for (absl::string_view p : parts) RETURN_IF_ERROR(out_->Write(p));
  }
  written_.push_back(std::move(e));
  header_offsets_.push_back(offset);
  return absl::OkStatus();
}

absl::Status ZipWriter::Finish() {
  if (finished_) {
    return absl::FailedPreconditionError(absl::StrCat(out_->path(), ": Finish() called twice"));
  }
  finished_ = true;
  const uint64_t cd_offset = out_->offset();
  for (size_t i = 0; i < written_.size(); ++i) {
    const ZipEntry& e = written_[i];
    const uint64_t offset = header_offsets_[i];
    const bool big_usize = force_zip64_ || e.uncompressed_size >= kMax32;
    const bool big_csize = force_zip64_ || e.compressed_size >= kMax32;
    const bool big_offset = force_zip64_ || offset >= kMax32;
    std::string extra;
    if (big_usize || big_csize || big_offset) {
      Put16(&extra, kZip64ExtraId);
      Put16(&extra, static_cast<uint16_t>(8 * (big_usize + big_csize + big_offset)));
      if (big_usize) Put64(&extra, e.uncompressed_size);
      if (big_csize) Put64(&extra, e.compressed_size);
      if (big_offset) Put64(&extra, offset);
    }
    const bool zip64 = !extra.empty();
    std::string h;
    Put32(&h, kCentralSig);
    Put16(&h, (3 << 8) | (zip64 ? 45 : 20));  // made by: Unix
    Put16(&h, zip64 ? 45 : 20);
    Put16(&h, 0x0800);
    Put16(&h, e.method);
    Put16(&h, kDosTime);
    Put16(&h, kDosDate);
    Put32(&h, e.crc32);
    Put32(&h, big_csize ? kMax32 : static_cast<uint32_t>(e.compressed_size));
    Put32(&h, big_usize ? kMax32 : static_cast<uint32_t>(e.uncompressed_size));
    Put16(&h, static_cast<uint16_t>(e.name.size()));
    Put16(&h, static_cast<uint16_t>(extra.size()));
    Put16(&h, 0);                 // comment
    Put16(&h, 0);                 // disk
    Put16(&h, 0);                 // internal attributes
    Put32(&h, 0100644u << 16);    // external attributes: regular file, rw-r--r--
    Put32(&h, big_offset ? kMax32 : static_cast<uint32_t>(offset));
    h.append(e.name);
    h.append(extra);
    RETURN_IF_ERROR(out_->Write(h));
  }
  const uint64_t cd_end = out_->offset();
  const uint64_t cd_size = cd_end - cd_offset;
  const uint64_t count = written_.size();
  const bool zip64 =
      force_zip64_ || count >= kMax16 || cd_size >= kMax32 || cd_offset >= kMax32;
  std::string t;
  if (zip64) {
    Put32(&t, kZip64EocdSig);
    Put64(&t, kZip64EocdSize - 12);
    Put16(&t, (3 << 8) | 45);
    Put16(&t, 45);
    Put32(&t, 0);
    Put32(&t, 0);
    Put64(&t, count);
    Put64(&t, count);
    Put64(&t, cd_size);
    Put64(&t, cd_offset);
    Put32(&t, kZip64LocSig);
    Put32(&t, 0);
    Put64(&t, cd_end);
    Put32(&t, 1);
  }
  Put32(&t, kEocdSig);
  Put16(&t, 0);
  Put16(&t, 0);
  Put16(&t, zip64 ? kMax16 : static_cast<uint16_t>(count));
  Put16(&t, zip64 ? kMax16 : static_cast<uint16_t>(count));
  Put32(&t, zip64 ? kMax32 : static_cast<uint32_t>(cd_size));
  Put32(&t, zip64 ? kMax32 : static_cast<uint32_t>(cd_offset));
  Put16(&t, 0);
  return out_->Write(t);
}

}  // namespace tp
