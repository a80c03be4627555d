// ZIP archives, as NumPy's .npz and PyTorch's torch.save use them.
//
// The reader maps the archive and lists entries in central-directory order (the order they were
// written, which for a .npz dump is the layer order). Stored entries are returned as views into the
// mapping (no copy); deflated entries are inflated on demand. ZIP64 sizes and offsets are
// supported. Every offset and size is checked against the file before use.
//
// The writer streams entries one after another into an OutputFile (atomic), stored or deflated,
// switching to ZIP64 records when sizes or offsets need them. A stored entry's data can be
// aligned (padding in the local header's extra field) so readers can map it in place. A deflated
// entry is compressed in memory before it is written (its sizes go in the local header).
//
// Layout (APPNOTE 6.3.x), all little-endian:
//   local header   "PK\3\4" ver flags method time date crc csize usize namelen extralen name extra
//   data
//   central dir    "PK\1\2" ... csize usize namelen extralen commentlen disk attrs offset ...
//   [zip64 EOCD "PK\6\6" + locator "PK\6\7"]   end of central directory "PK\5\6"
// 0xFFFFFFFF in a 32-bit size/offset field means "see the ZIP64 extra field (id 0x0001)".
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<ZipReader> zip, ZipReader::Open("dump.npz"));
//   for (const ZipEntry& e : zip->entries()) {
//     ASSIGN_OR_RETURN(ZipData data, zip->Read(e));
//     ... data.bytes() ...
//   }
#ifndef TENSORPORT_FORMATS_ZIP_ZIP_H_
#define TENSORPORT_FORMATS_ZIP_ZIP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/byte_source.h"
#include "core/mapped_file.h"
#include "core/output_file.h"

namespace tp {

// Deflate cannot expand data more than about 1032:1 (a stream of maximal-length matches), so no
// honest entry declares more: np.savez_compressed of an all-zero array reaches about 1030:1.
// Readers refuse entries above this ratio unless told otherwise (--max-inflate-ratio).
inline constexpr double kDefaultMaxInflateRatio = 1032;

// The limit every ZipReader opened from now on starts with (the tools set it from their
// --max-inflate-ratio flag); 0 leaves only deflate's own bound.
void SetDefaultMaxInflateRatio(double ratio);
double DefaultMaxInflateRatio();

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint32_t crc32 = 0;
  uint64_t data_offset = 0;  // offset of the entry's data in the archive (after the local header)
};

// Bytes of one entry: a view into the mapping (stored) or an owned inflated buffer (deflated).
// Either way `keep_alive()` keeps the bytes valid for tensors that point into them.
class ZipData {
 public:
  absl::string_view bytes() const { return bytes_; }
  std::shared_ptr<const void> keep_alive() const { return keep_alive_; }
  // The archive's mapping when bytes() lie in it (stored entries), else null (inflated entries).
  // Tensor::View takes it so views can release their pages (Tensor::ReleasePages).
  const std::shared_ptr<const MappedFile>& mapped_file() const { return mapped_file_; }

 private:
  friend class ZipReader;
  absl::string_view bytes_;
  std::shared_ptr<const void> keep_alive_;
  std::shared_ptr<const MappedFile> mapped_file_;
};

class ZipReader {
 public:
  static absl::StatusOr<std::unique_ptr<ZipReader>> Open(const std::string& path);
  // Takes an already mapped file (so callers can share one mapping).
  static absl::StatusOr<std::unique_ptr<ZipReader>> FromMapped(
      std::shared_ptr<const MappedFile> file);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* Find(absl::string_view name) const;
  // Entry data; the CRC-32 is verified for deflated entries (and for stored entries when
  // `verify_crc` is set, which touches every page of the entry).
  absl::StatusOr<ZipData> Read(const ZipEntry& entry, bool verify_crc = false) const;
  // The entry's bytes front to back (deflated entries inflated a window at a time); the size and
  // CRC-32 are checked when the stream reaches its end.
  absl::StatusOr<std::unique_ptr<ByteStream>> OpenStream(const ZipEntry& entry) const;
  // The entry's bytes from `skip` on as a ByteSource that keeps `zip` alive (for streamed
  // tensors: an .npy entry after its header).
  static std::shared_ptr<const ByteSource> Source(std::shared_ptr<const ZipReader> zip,
                                                  const ZipEntry& entry, uint64_t skip);
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

  // Refuses deflated entries that declare more than `ratio` times their compressed size
  // (default kDefaultMaxInflateRatio; 0 means only deflate's own bound applies).
  void set_max_inflate_ratio(double ratio) { max_inflate_ratio_ = ratio; }

 private:
  absl::Status CheckEntry(const ZipEntry& entry) const;

  std::shared_ptr<const MappedFile> file_;
  double max_inflate_ratio_ = DefaultMaxInflateRatio();
  std::vector<ZipEntry> entries_;
};

class ZipWriter {
 public:
  explicit ZipWriter(OutputFile* out) : out_(out) {}
  // Adds one entry whose data is `data`; method 0 stores, 8 deflates. `align` (a power of two,
  // 0 or 1 for none) pads a stored entry's local header so its data starts at a multiple of it.
  absl::Status Add(absl::string_view name, absl::string_view data, uint16_t method = 0,
                   uint32_t align = 0);
  // Same, with the data given as consecutive pieces (a header and a tensor's bytes), so large
  // stored entries are never concatenated in memory.
  absl::Status AddParts(absl::string_view name, absl::Span<const absl::string_view> parts,
                        uint16_t method = 0, uint32_t align = 0);
  // Writes the central directory. The caller then commits the OutputFile.
  absl::Status Finish();

  // Writes ZIP64 extra fields and end records even when nothing needs them (for tests and for
  // readers that want to exercise the ZIP64 path).
  void set_force_zip64(bool force) { force_zip64_ = force; }

 private:
  OutputFile* out_;
  bool force_zip64_ = false;
  bool finished_ = false;
  std::vector<ZipEntry> written_;
  std::vector<uint64_t> header_offsets_;
};

// True when the bytes start like a ZIP archive (a local file header, "PK\3\4").
bool LooksLikeZip(absl::string_view head);

}  // namespace tp

#endif  // TENSORPORT_FORMATS_ZIP_ZIP_H_
