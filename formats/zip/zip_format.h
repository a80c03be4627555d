// The ZIP format's constants and byte helpers, shared by the reader (zip.cc) and the writer
// (zip_writer.cc). Internal to formats/zip.
#ifndef TENSORPORT_FORMATS_ZIP_ZIP_FORMAT_H_
#define TENSORPORT_FORMATS_ZIP_ZIP_FORMAT_H_

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tp {
namespace zip_format {

inline constexpr uint32_t kLocalSig = 0x04034b50;     // PK\3\4
inline constexpr uint32_t kCentralSig = 0x02014b50;   // PK\1\2
inline constexpr uint32_t kEocdSig = 0x06054b50;      // PK\5\6
inline constexpr uint32_t kZip64EocdSig = 0x06064b50;  // PK\6\6
inline constexpr uint32_t kZip64LocSig = 0x07064b50;   // PK\6\7
inline constexpr uint16_t kZip64ExtraId = 0x0001;
inline constexpr uint16_t kPaddingExtraId = 0xd935;  // private id used for alignment padding
inline constexpr uint64_t kMax32 = 0xffffffffu;
inline constexpr uint64_t kMax16 = 0xffffu;
inline constexpr size_t kEocdSize = 22;
inline constexpr size_t kLocalHeaderSize = 30;
inline constexpr size_t kCentralHeaderSize = 46;
inline constexpr size_t kZip64EocdSize = 56;
inline constexpr size_t kZip64LocatorSize = 20;
// Deflate cannot expand data by more than about 1032:1; a declared size beyond that is a lie
// and must not size an allocation.
inline constexpr uint64_t kMaxDeflateRatio = 1032;

inline std::string Quoted(absl::string_view name) { return absl::StrCat("\"", absl::CHexEscape(name), "\""); }

// Little-endian appenders for building headers.
inline void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v & 0xff));
  s->push_back(static_cast<char>(v >> 8));
}
inline void Put32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void Put64(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline uint32_t Crc32(uint32_t crc, absl::string_view data) {
  // zlib's crc32 takes a uInt length; feed it in pieces.
  while (!data.empty()) {
    const size_t n = std::min<size_t>(data.size(), 1u << 30);
    crc = static_cast<uint32_t>(
        crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n)));
    data.remove_prefix(n);
  }
  return crc;
}

}  // namespace zip_format
}  // namespace tp

#endif  // TENSORPORT_FORMATS_ZIP_ZIP_FORMAT_H_
