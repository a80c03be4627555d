// UTF-8 encoding and validation shared by the text-bearing format parsers (JSON headers, pickle
// strings): one encoder and one validator, so every reader agrees on what valid UTF-8 is
// (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
//
// Example:
//   std::string s;
//   AppendUtf8(0x20ac, &s);                      // "\xe2\x82\xac" (the euro sign)
//   size_t n = Utf8SequenceLength(s);            // 3
//   size_t bad = Utf8SequenceLength("\xc0\xaf");  // 0: overlong form of '/'
#ifndef TENSORPORT_CORE_UTF8_H_
#define TENSORPORT_CORE_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tp {

// Appends code point `cp` as UTF-8. A value past U+10FFFF is written as U+FFFD (the replacement
// character). Surrogate code points are encoded as given; callers that must not produce them
// check first.
void AppendUtf8(uint32_t cp, std::string* out);

// Length (2 to 4) of the valid multi-byte UTF-8 sequence at the start of `s`, or 0 when `s` is
// empty, starts with an ASCII byte, or starts with an invalid, truncated, overlong or surrogate
// sequence.
size_t Utf8SequenceLength(absl::string_view s);

}  // namespace tp

#endif  // TENSORPORT_CORE_UTF8_H_
