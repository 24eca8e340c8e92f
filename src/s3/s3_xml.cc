#include "s3/s3_xml.h"

#include <charconv>

namespace itslog {

namespace {

// Finds the next element <tag> (or <tag/>) at or after pos. Sets *content to its raw
// content and returns the position just after it; npos when there is none.
size_t NextElement(std::string_view xml, std::string_view tag, size_t pos,
                   std::string_view* content) {
  std::string open = "<" + std::string(tag);
  std::string close = "</" + std::string(tag) + ">";
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t after = pos + open.size();
    if (after >= xml.size()) {
      return std::string_view::npos;
    }
    if (xml[after] == '>') {
      size_t end = xml.find(close, after + 1);
      if (end == std::string_view::npos) {
        return std::string_view::npos;
      }
      *content = xml.substr(after + 1, end - after - 1);
      return end + close.size();
    }
    if (xml.substr(after).starts_with("/>")) {
      *content = std::string_view();
      return after + 2;
    }
    if (xml[after] == ' ') {  // attributes (xmlns=...): skip to the end of the start tag
      size_t gt = xml.find('>', after);
      if (gt == std::string_view::npos) {
        return std::string_view::npos;
      }
      if (xml[gt - 1] == '/') {
        *content = std::string_view();
        return gt + 1;
      }
      size_t end = xml.find(close, gt + 1);
      if (end == std::string_view::npos) {
        return std::string_view::npos;
      }
      *content = xml.substr(gt + 1, end - gt - 1);
      return end + close.size();
    }
    pos = after;  // a longer tag name with the same start (<KeyCount> for <Key>)
  }
  return std::string_view::npos;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool TransientCode(std::string_view code) {
  return code == "RequestTimeout" || code == "BadDigest" || code == "OperationAborted" ||
         code == "ConditionalRequestConflict" || code == "SlowDown" || code == "InternalError" ||
         code == "ServiceUnavailable";
}

}  // namespace

std::optional<std::string> XmlFirst(std::string_view xml, std::string_view tag) {
  std::string_view content;
  if (NextElement(xml, tag, 0, &content) == std::string_view::npos) {
    return std::nullopt;
  }
  return XmlUnescape(content);
}

std::vector<std::string_view> XmlAll(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::string_view content;
  size_t pos = 0;
  while ((pos = NextElement(xml, tag, pos, &content)) != std::string_view::npos) {
    out.push_back(content);
  }
  return out;
}

std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = text.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out.push_back('&');
    } else if (ent == "lt") {
      out.push_back('<');
    } else if (ent == "gt") {
      out.push_back('>');
    } else if (ent == "quot") {
      out.push_back('"');
    } else if (ent == "apos") {
      out.push_back('\'');
    } else if (ent.size() > 1 && ent[0] == '#') {
      uint32_t cp = 0;
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      auto [p, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty() ||
          cp > 0x10FFFF) {
        out.push_back('&');
        continue;
      }
      AppendUtf8(&out, cp);
    } else {
      out.push_back('&');
      continue;
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string UnquoteEtag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

Result<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    return Status(Code::kInternal, kS3RequestFailed,
                  "the S3 server's listing is not a ListBucketResult document");
  }
  S3ListPage page;
  for (std::string_view contents : XmlAll(xml, "Contents")) {
    S3ListedObject o;
    std::optional<std::string> key = XmlFirst(contents, "Key");
    if (!key) {
      return Status(Code::kInternal, kS3RequestFailed,
                    "the S3 server's listing has an object without a Key");
    }
    o.key = std::move(*key);
    std::string size = XmlFirst(contents, "Size").value_or("0");
    auto [p, ec] = std::from_chars(size.data(), size.data() + size.size(), o.size);
    if (ec != std::errc() || p != size.data() + size.size() || o.size < 0) {
      return Status(Code::kInternal, kS3RequestFailed,
                    "the S3 server's listing has a bad Size " + Quote(size));
    }
    o.etag = UnquoteEtag(XmlFirst(contents, "ETag").value_or(""));
    page.objects.push_back(std::move(o));
  }
  page.truncated = XmlFirst(xml, "IsTruncated").value_or("false") == "true";
  if (page.truncated) {
    page.next_token = XmlFirst(xml, "NextContinuationToken").value_or("");
    if (page.next_token.empty()) {
      return Status(Code::kInternal, kS3RequestFailed,
                    "the S3 server's listing is truncated but has no NextContinuationToken");
    }
  }
  return page;
}

S3ErrorBody ParseS3Error(std::string_view xml) {
  S3ErrorBody e;
  std::string_view error;
  if (NextElement(xml, "Error", 0, &error) == std::string_view::npos) {
    return e;
  }
  e.code = XmlFirst(error, "Code").value_or("");
  e.message = XmlFirst(error, "Message").value_or("");
  return e;
}

bool S3Retryable(int http_status, const S3ErrorBody& error) {
  if (http_status == 408 || http_status == 429 || http_status >= 500) {
    return true;
  }
  if (http_status == 400 || http_status == 409) {
    return TransientCode(error.code);
  }
  return false;
}

Status S3StatusFor(int http_status, const S3ErrorBody& error, std::string_view what) {
  std::string detail = std::string(what) + ": HTTP " + std::to_string(http_status);
  if (!error.code.empty()) {
    detail += " " + error.code;
  }
  if (!error.message.empty()) {
    detail += " (" + Quote(error.message) + ")";
  }
  if (http_status == 401 || http_status == 403) {
    return Status(Code::kUnavailable, kS3AuthFailed,
                  detail +
                      "; check ITSLOG_S3_ACCESS_KEY_ID / ITSLOG_S3_SECRET_ACCESS_KEY, "
                      "s3.region and the bucket's policy");
  }
  if (http_status == 404) {
    if (error.code == "NoSuchBucket") {
      return Status(Code::kNotFound, kS3NoSuchBucket, detail + "; check s3.bucket");
    }
    return Status(Code::kNotFound, kS3NotFound, detail);
  }
  if (http_status == 412) {
    return Status(Code::kUnprocessable, kS3ObjectExists, detail);
  }
  if (http_status == 409 && error.code == "ConditionalRequestConflict") {
    return Status(Code::kUnavailable, kS3ConditionalConflict, detail);
  }
  if (S3Retryable(http_status, error)) {
    return Status(Code::kUnavailable, kS3Unavailable, detail);
  }
  return Status(Code::kInternal, kS3RequestFailed, detail);
}

}  // namespace itslog
