#include "s3/create_only.h"

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "s3/s3_xml.h"

namespace itslog {
namespace {

S3ObjectInfo ObjectOf(std::string_view body) {
  S3ObjectInfo o;
  o.size = static_cast<int64_t>(body.size());
  Md5Digest md5 = Md5Of(body);
  o.etag = HexEncode(md5.data(), md5.size());
  o.metadata[kSha256Meta] = HexEncode(Sha256Of(body));
  return o;
}

TEST(CreateOnlyTest, DigestsOfABody) {
  FileDigests d = DigestsOf("abc");
  EXPECT_EQ(d.size, 3);
  EXPECT_EQ(HexEncode(d.sha256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(d.md5.data(), d.md5.size()), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(d.part_size, 0);
  EXPECT_TRUE(d.part_md5.empty());
}

TEST(CreateOnlyTest, TheSameBytesAreOurs) {
  const FileDigests d = DigestsOf("the day file");
  S3ObjectInfo o = ObjectOf("the day file");
  EXPECT_TRUE(ObjectHoldsBytes(o, d));
  o.etag = "\"" + o.etag + "\"";  // quoted: not what the client hands over
  EXPECT_FALSE(ObjectHoldsBytes(o, d));
  o = ObjectOf("the day file");
  for (char& c : o.etag) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_TRUE(ObjectHoldsBytes(o, d)) << "ETags compare case-insensitively";
  // Without the SHA-256 claim (uploaded by hand), the server's checksum still decides.
  o = ObjectOf("the day file");
  o.metadata.clear();
  EXPECT_TRUE(ObjectHoldsBytes(o, d));
}

TEST(CreateOnlyTest, AnythingElseIsNot) {
  const FileDigests d = DigestsOf("the day file");
  S3ObjectInfo other = ObjectOf("another file");
  EXPECT_FALSE(ObjectHoldsBytes(other, d));
  // Metadata is the uploader's claim: a matching SHA-256 does not make other bytes ours.
  other.metadata[kSha256Meta] = HexEncode(d.sha256);
  EXPECT_FALSE(ObjectHoldsBytes(other, d));
  // The same size and ETag but another SHA-256 claimed: not ours either.
  S3ObjectInfo claims = ObjectOf("the day file");
  claims.metadata[kSha256Meta] = std::string(64, '0');
  EXPECT_FALSE(ObjectHoldsBytes(claims, d));
  // Another size with our ETag.
  S3ObjectInfo longer = ObjectOf("the day file");
  longer.size += 1;
  EXPECT_FALSE(ObjectHoldsBytes(longer, d));
  S3ObjectInfo empty;
  EXPECT_FALSE(ObjectHoldsBytes(empty, d));
}

TEST(CreateOnlyTest, AMultipartCopyIsRecognisedByItsPartsEtag) {
  std::string body(3 * kMinPartBytes / 2, 'x');
  FileDigests d = DigestsOf(body);
  d.part_size = kMinPartBytes;
  d.part_md5 = {Md5Of(std::string_view(body).substr(0, kMinPartBytes)),
                Md5Of(std::string_view(body).substr(kMinPartBytes))};
  S3ObjectInfo o = ObjectOf(body);
  o.etag = MultipartEtag(d.part_md5);
  EXPECT_TRUE(ObjectHoldsBytes(o, d));
  EXPECT_NE(o.etag.find("-2"), std::string::npos);
  o.etag = MultipartEtag({d.part_md5[1], d.part_md5[0]});
  EXPECT_FALSE(ObjectHoldsBytes(o, d));
}

TEST(CreateOnlyTest, DescribesAnObjectForAConflict) {
  S3ObjectInfo o = ObjectOf("x");
  EXPECT_EQ(DescribeObject(o), "1 bytes, ETag \"9dd4e461268c8034f5c8564e155c67a6\", SHA-256 \"" +
                                   HexEncode(Sha256Of("x")) + "\"");
  o.metadata.clear();
  EXPECT_EQ(DescribeObject(o),
            "1 bytes, ETag \"9dd4e461268c8034f5c8564e155c67a6\", no SHA-256 recorded");
}

TEST(S3StatusForTest, ConditionalAnswers) {
  Status exists = S3StatusFor(412, S3ErrorBody{"PreconditionFailed", "At least one"}, "PUT x");
  EXPECT_EQ(exists.code(), Code::kUnprocessable);
  EXPECT_EQ(exists.reason(), kS3ObjectExists);
  S3ErrorBody conflict{"ConditionalRequestConflict", "A conflicting operation"};
  Status c = S3StatusFor(409, conflict, "PUT x");
  EXPECT_EQ(c.code(), Code::kUnavailable);
  EXPECT_EQ(c.reason(), kS3ConditionalConflict);
  EXPECT_TRUE(S3Retryable(409, conflict));
  Status other = S3StatusFor(409, S3ErrorBody{"BucketNotEmpty", ""}, "DELETE x");
  EXPECT_EQ(other.reason(), kS3RequestFailed);
  EXPECT_FALSE(S3Retryable(409, S3ErrorBody{"BucketNotEmpty", ""}));
}

}  // namespace
}  // namespace itslog
