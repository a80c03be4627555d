#include "core/byte_source.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace tp {

absl::Status ReadFully(ByteStream& stream, uint8_t* out, size_t n, const std::string& what) {
  size_t done = 0;
  while (done < n) {
    ASSIGN_OR_RETURN(size_t got, stream.Read(out + done, n - done));
    if (got == 0) {
      return absl::OutOfRangeError(
          absl::StrCat(what, ": ends after ", done, " bytes, expected ", n));
    }
    done += got;
  }
  return absl::OkStatus();
}

}  // namespace tp
