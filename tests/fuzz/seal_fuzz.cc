// libFuzzer target for the seal file read by `itslog verify --seal` (store/verify.h: ParseSeal).
// Besides crashes, hangs and sanitizer reports, it checks the parser's promises: errors are
// kInvalid "invalid_seal"; an accepted seal has a real day, rows >= 0 and, written again as the
// shipper writes it (SealJson), parses to the same seal; and every seal the shipper can write,
// with members in any order, any whitespace, either case of hex and unknown members of any
// JSON kind, is accepted with the values it was written with.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/host_id.h"
#include "core/json_writer.h"
#include "core/time_util.h"
#include "store/seal.h"
#include "store/verify.h"

namespace itslog {
namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "seal_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

bool SameSeal(const Seal& a, const Seal& b) {
  return a.day == b.day && a.host == b.host && a.rows == b.rows && a.final_hash == b.final_hash &&
         a.file_sha256 == b.file_sha256;
}

// The seal as the shipper publishes it; without file_sha256, the same object without it.
std::string Written(const Seal& seal) {
  SealInfo info;
  info.day = seal.day;
  info.rows = seal.rows;
  info.final_hash = HexEncode(seal.final_hash);
  if (seal.file_sha256) {
    return SealJson(info, seal.host, HexEncode(*seal.file_sha256));
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("day").String(info.day);
  if (!seal.host.empty()) {
    w.Key("host").String(seal.host);
  }
  w.Key("rows").Int(info.rows);
  w.Key("final_hash").String(info.final_hash);
  w.EndObject();
  return w.Take();
}

void CheckText(std::string_view json) {
  Result<Seal> seal = ParseSeal(json);
  if (!seal.ok()) {
    Require(seal.status().code() == Code::kInvalid, "errors are kInvalid");
    Require(seal.status().reason() == "invalid_seal", "errors say invalid_seal");
    return;
  }
  Require(seal->day.size() == 10 && ParseDay(seal->day).has_value(), "the day is a real date");
  Require(seal->rows >= 0, "rows is not negative");
  Require(seal->host.empty() || IsValidHostId(seal->host), "the host is a host_id");
  const std::string again = Written(*seal);
  Result<Seal> reread = ParseSeal(again);
  Require(reread.ok() && SameSeal(*reread, *seal),
          "an accepted seal written again parses the same");
}

// Takes n bytes from the input (zeros once it runs out).
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint64_t Take(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v = v << 8 | (pos_ < size_ ? data_[pos_++] : 0);
    }
    return v;
  }
  Digest TakeDigest() {
    Digest d{};
    for (uint8_t& b : d) {
      b = static_cast<uint8_t>(Take(1));
    }
    return d;
  }
  std::string_view Rest() {
    std::string_view r(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_);
    pos_ = size_;
    return r;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

std::string Space(uint64_t pick) {
  static const char* const kSpaces[] = {"", " ", "\n", "\t", "\r\n  ", ""};
  return kSpaces[pick % (sizeof(kSpaces) / sizeof(kSpaces[0]))];
}

std::string Hex(const Digest& d, bool upper) {
  std::string h = HexEncode(d);
  if (upper) {
    for (char& c : h) {
      c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
    }
  }
  return h;
}

// A valid seal built from the input: it must be accepted with exactly these values.
void CheckWritten(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  const uint64_t flags = in.Take(4);
  const int64_t first = DaysFromCivil(CivilDay{1, 1, 1});
  const int64_t last = DaysFromCivil(CivilDay{9999, 12, 31});
  Seal want;
  want.day =
      FormatDay(CivilFromDays(first + static_cast<int64_t>(in.Take(4) % (last - first + 1))));
  want.rows = static_cast<int64_t>(in.Take(8) & 0x7fffffffffffffffULL);
  want.final_hash = in.TakeDigest();
  if (flags & 1) {
    want.file_sha256 = in.TakeDigest();
  }
  const bool upper = flags & 2;
  // An unknown member whose value is the rest of the input: as a string, or as raw JSON-ish
  // text when it happens to be a number, literal or nested value the parser can skip.
  std::string unknown_value;
  AppendJsonString(&unknown_value, in.Rest());

  std::string members[5];
  size_t n = 0;
  AppendJsonString(&members[n], "day");
  members[n] += Space(flags >> 2) + ":" + Space(flags >> 5);
  AppendJsonString(&members[n++], want.day);
  AppendJsonString(&members[n], "rows");
  members[n++] += ":" + Space(flags >> 8) + std::to_string(want.rows);
  AppendJsonString(&members[n], "final_hash");
  members[n] += ":";
  AppendJsonString(&members[n++], Hex(want.final_hash, upper));
  if (want.file_sha256) {
    AppendJsonString(&members[n], "file_sha256");
    members[n] += ":";
    AppendJsonString(&members[n++], Hex(*want.file_sha256, upper));
  }
  static const char* const kOther[] = {"",   "1.5e-3", "true", "null", "[1,[2],{\"a\":\"b\"}]",
                                       "{}", "[]",     "-0",   "\"x\""};
  std::string other = kOther[(flags >> 11) % (sizeof(kOther) / sizeof(kOther[0]))];
  AppendJsonString(&members[n], "sealed_by");
  members[n++] += ":" + (other.empty() ? unknown_value : other);
  // Rotate the members into an order picked by the input.
  const size_t start = (flags >> 15) % n;
  std::string json = Space(flags >> 18) + "{" + Space(flags >> 21);
  for (size_t i = 0; i < n; ++i) {
    json += (i == 0 ? "" : "," + Space(flags >> (24 + i))) + members[(start + i) % n];
  }
  json += Space(flags >> 29) + "}" + Space(flags >> 30);

  Result<Seal> got = ParseSeal(json);
  if (!got.ok()) {
    std::fprintf(stderr, "seal_fuzz: refused %s: %s\n", json.c_str(),
                 got.status().message().c_str());
  }
  Require(got.ok(), "a seal as the shipper writes it is accepted");
  Require(SameSeal(*got, want), "a seal is read with the values it was written with");
  CheckText(json);
}

}  // namespace
}  // namespace itslog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  if (data[0] & 1) {
    itslog::CheckWritten(data + 1, size - 1);
  } else {
    itslog::CheckText(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  }
  return 0;
}
