#include "s3store/bucket_uniques.h"

#include <optional>

#include "event/event_object.h"
#include "s3/s3_client.h"
#include "s3/s3_url.h"
#include "s3store/create_once.h"
#include "s3store/object_keys.h"

namespace itslog {

namespace {

// Rounds of claim-then-append for one call: a second is needed only when the day changed
// between the claim and the append (midnight, or another host's newer day file).
constexpr int kMaxRounds = 3;
// Claims remembered before the memory is started over (the day files and the bucket still
// know them; forgetting costs a request per unique, not an answer).
constexpr size_t kMaxKnown = 100000;

std::string KnownKey(const std::string& day, const Event& event) {
  std::string key = day;
  key += '\0';
  key += event.app;
  key += '\0';
  key += event.name;
  return key;
}

}  // namespace

BucketUniques::BucketUniques(Env* env, Logger* log, BucketUniquesOptions options)
    : env_(env),
      log_(log),
      options_(std::move(options)),
      token_("host/" + options_.host),
      clients_(options_.s3, [this](std::string_view line) {
        log_->Warning("unique_scope bucket: " + std::string(line));
      }) {}

BucketUniques::~BucketUniques() = default;

Result<std::unique_ptr<BucketUniques>> BucketUniques::Create(Env* env, Logger* log,
                                                             BucketUniquesOptions options) {
  if (Status s = ValidateS3Config(options.s3); !s.ok()) {
    return s;
  }
  return std::unique_ptr<BucketUniques>(new BucketUniques(env, log, std::move(options)));
}

UniqueClaim BucketUniques::Answer(const Known& known, const Event& event) const {
  if (known.ours) {
    return UniqueClaim::kOurs;
  }
  if (event.idempotency_key && !known.idempotency_hash.empty() &&
      known.idempotency_hash == IdempotencyHash(event.app, *event.idempotency_key)) {
    return UniqueClaim::kOthersReplay;
  }
  return UniqueClaim::kOthers;
}

UniqueClaim BucketUniques::Lookup(const std::string& day, const Event& event) {
  std::lock_guard<std::mutex> lock(known_mu_);
  auto it = known_.find(KnownKey(day, event));
  return it == known_.end() ? UniqueClaim::kUnknown : Answer(it->second, event);
}

Result<UniqueClaim> BucketUniques::Claim(const std::string& day, const Event& event) {
  const std::string key = UniqueKey(options_.s3.prefix, day, event.app, event.name);
  Result<std::optional<S3ObjectInfo>> other = [&]() -> Result<std::optional<S3ObjectInfo>> {
    Result<std::unique_ptr<S3Client>> client = clients_.Take();
    if (!client.ok()) {
      return client.status();
    }
    // The object is the event as storage: s3 would keep it, so that hosts in either mode
    // read one answer from it.
    S3PutOptions put;
    put.content_type = "application/json";
    put.if_none_match = true;
    put.metadata.emplace_back(kWriterMeta, token_);
    if (event.idempotency_key) {
      put.metadata.emplace_back(kIdempotencyMeta,
                                IdempotencyHash(event.app, *event.idempotency_key));
    }
    Result<std::optional<S3ObjectInfo>> created =
        CreateOnce(client->get(), key, FormatEventObject(env_->NowMicros(), event), put, token_);
    clients_.Return(std::move(client).value());
    return created;
  }();
  if (!other.ok()) {
    log_->Error("unique_scope bucket: " + other.status().ToString() + " (object " + key + ")");
    return UnavailableError("storage_unavailable",
                            "S3 did not confirm that this host holds the unique event (" +
                                other.status().reason() + "); nothing was stored; retry later");
  }
  Known known;
  known.ours = !other->has_value();
  if (!known.ours) {
    known.idempotency_hash = MetaOf(**other, kIdempotencyMeta);
  }
  UniqueClaim answer = Answer(known, event);
  std::lock_guard<std::mutex> lock(known_mu_);
  if (known_.size() >= kMaxKnown) {
    known_.clear();
  }
  known_[KnownKey(day, event)] = std::move(known);
  return answer;
}

Result<std::vector<Result<AppendOutcome>>> BucketUniques::Append(std::span<const Event> events,
                                                                 const StoreAppendFn& append) {
  Result<std::vector<Result<AppendOutcome>>> first = append(events);
  if (!first.ok()) {
    return first;
  }
  std::vector<Result<AppendOutcome>> out = std::move(first).value();
  for (int round = 0; round < kMaxRounds; ++round) {
    std::vector<Event> again;
    std::vector<size_t> again_index;  // again[k] is events[again_index[k]]
    for (size_t i = 0; i < out.size(); ++i) {
      if (!out[i].ok() || !out[i]->unclaimed) {
        continue;
      }
      const std::string day = out[i]->day;
      // Another event of the call may have claimed the same one already.
      UniqueClaim known = Lookup(day, events[i]);
      Result<UniqueClaim> claim = known != UniqueClaim::kUnknown ? known : Claim(day, events[i]);
      if (!claim.ok()) {
        out[i] = claim.status();
      } else if (*claim == UniqueClaim::kOurs) {
        again.push_back(events[i]);
        again_index.push_back(i);
      } else {
        out[i] = AppendOutcome{0, true, day, *claim == UniqueClaim::kOthersReplay};
      }
    }
    if (again.empty()) {
      return out;
    }
    Result<std::vector<Result<AppendOutcome>>> stored = append(again);
    for (size_t k = 0; k < again.size(); ++k) {
      out[again_index[k]] =
          stored.ok() ? std::move(stored.value()[k]) : Result<AppendOutcome>(stored.status());
    }
  }
  for (Result<AppendOutcome>& r : out) {
    if (r.ok() && r->unclaimed) {
      r = UnavailableError("storage_unavailable",
                           "the day changed while the unique event was being claimed; retry");
    }
  }
  return out;
}

}  // namespace itslog
