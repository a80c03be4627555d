#include "verify/png.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/escaping.h"

namespace tp {
namespace verify {
namespace {

void Put32(std::string* s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void Chunk(std::string* out, const char* type, const std::string& data) {
  Put32(out, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out->append(body);
  Put32(out, static_cast<uint32_t>(
                 crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

}  // namespace

std::string EncodePng(const std::vector<uint8_t>& rgb, int width, int height) {
  std::string raw;
  raw.reserve(static_cast<size_t>(height) * (width * 3 + 1));
  for (int y = 0; y < height; ++y) {
    raw.push_back('\0');  // filter type 0 (none)
    raw.append(reinterpret_cast<const char*>(rgb.data()) + static_cast<size_t>(y) * width * 3,
               static_cast<size_t>(width) * 3);
  }
  uLongf size = compressBound(raw.size());
  std::string z(size, '\0');
  compress2(reinterpret_cast<Bytef*>(&z[0]), &size, reinterpret_cast<const Bytef*>(raw.data()),
            raw.size(), 9);
  z.resize(size);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  Put32(&ihdr, static_cast<uint32_t>(width));
  Put32(&ihdr, static_cast<uint32_t>(height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit, RGB, deflate, no filter, no interlace
  Chunk(&out, "IHDR", ihdr);
  Chunk(&out, "IDAT", z);
  Chunk(&out, "IEND", "");
  return out;
}

std::string PngDataUri(const std::string& png) {
  return "data:image/png;base64," + absl::Base64Escape(png);
}

std::vector<uint8_t> Colorize(const std::vector<float>& v, Palette palette, float lo, float hi) {
  std::vector<uint8_t> rgb;
  rgb.reserve(v.size() * 3);
  const float m = std::max(std::fabs(lo), std::fabs(hi));
  for (float f : v) {
    int r = 0, g = 200, b = 0;  // non-finite: green
    if (std::isfinite(f)) {
      if (palette == Palette::kDiverging) {
        const float t = m > 0 ? std::clamp(f / m, -1.0f, 1.0f) : 0.0f;
        r = t > 0 ? 255 : static_cast<int>(255 * (1 + t));
        b = t < 0 ? 255 : static_cast<int>(255 * (1 - t));
        g = static_cast<int>(255 * (1 - std::fabs(t)));
      } else {
        const float t = hi > lo ? std::clamp((f - lo) / (hi - lo), 0.0f, 1.0f) : 0.0f;
        if (palette == Palette::kGray) {
          r = g = b = static_cast<int>(255 * t);
        } else {  // heat: black -> purple -> orange -> pale yellow
          r = static_cast<int>(255 * std::min(1.0f, 1.6f * t));
          g = static_cast<int>(255 * std::clamp(1.6f * t - 0.6f, 0.0f, 1.0f));
          b = static_cast<int>(255 * std::clamp(t < 0.5f ? 1.2f * t : 1.2f - 1.2f * t + 0.5f * (t > 0.85f ? (t - 0.85f) * 5 : 0), 0.0f, 1.0f));
        }
      }
    }
    rgb.push_back(static_cast<uint8_t>(r));
    rgb.push_back(static_cast<uint8_t>(g));
    rgb.push_back(static_cast<uint8_t>(b));
  }
  return rgb;
}

}  // namespace verify
}  // namespace tp
