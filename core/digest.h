// Content digests (SHA-256, from OpenSSL's libcrypto) for provenance records: the schema a
// conversion used is identified by the hash of its text.
//
// Example:
//   std::string hex = Sha256Hex(schema_text);   // 64 lowercase hex digits
#ifndef TENSORPORT_CORE_DIGEST_H_
#define TENSORPORT_CORE_DIGEST_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tp {

std::string Sha256Hex(absl::string_view bytes);

}  // namespace tp

#endif  // TENSORPORT_CORE_DIGEST_H_
