#include "s3store/s3_event_store.h"

#include <algorithm>
#include <optional>
#include <random>
#include <system_error>
#include <thread>

#include "core/crypto.h"
#include "event/event_object.h"
#include "s3/s3_client.h"
#include "s3/s3_url.h"
#include "s3store/create_once.h"

namespace itslog {

namespace {

bool AlreadyExists(const Status& s) {
  return s.code() == Code::kUnprocessable && s.reason() == kS3ObjectExists;
}

// The cap's three requests, through one request thread's client.
class S3NameMarkers : public NameMarkerStore {
 public:
  explicit S3NameMarkers(S3Client* s3) : s3_(s3) {}

  Status CreateMarker(const std::string& key, const std::string& body) override {
    S3PutOptions put;
    put.content_type = "application/json";
    put.if_none_match = true;
    Result<S3PutResult> r = s3_->PutObject(key, body, put);
    if (!r.ok() && !AlreadyExists(r.status())) {
      return r.status();
    }
    return Status::Ok();  // created, or another writer created it first: the same marker
  }

  Result<bool> Exists(const std::string& key) override {
    Result<S3ObjectInfo> head = s3_->HeadObject(key);
    if (head.ok()) {
      return true;
    }
    if (head.status().code() == Code::kNotFound && head.status().reason() == kS3NotFound) {
      return false;
    }
    return head.status();
  }

  Status List(const std::string& prefix,
              const std::function<void(std::string_view key)>& visit) override {
    return s3_->ListObjects(prefix, [&](const S3ListedObject& o) {
      visit(o.key);
      return Status::Ok();
    });
  }

 private:
  S3Client* s3_;
};

}  // namespace

S3EventStore::S3EventStore(Env* env, Logger* log, S3StoreOptions options)
    : env_(env),
      log_(log),
      options_(std::move(options)),
      names_(options_.s3.prefix, options_.max_event_names_per_app_per_day),
      clients_(options_.s3, [this](std::string_view line) {
        log_->Warning("storage s3: " + std::string(line));
      }) {}

S3EventStore::~S3EventStore() = default;

Result<std::unique_ptr<S3EventStore>> S3EventStore::Create(Env* env, Logger* log,
                                                           S3StoreOptions options) {
  if (Status s = ValidateS3Config(options.s3); !s.ok()) {
    return s;
  }
  options.max_parallel_puts = std::max(1, options.max_parallel_puts);
  options.max_conflicts = std::max(1, options.max_conflicts);
  return std::unique_ptr<S3EventStore>(new S3EventStore(env, log, std::move(options)));
}

std::string S3EventStore::NextWriterToken() {
  // Drawn at first use, not at construction: a store made before fork() must still give each
  // worker process a token of its own.
  std::call_once(token_once_, [this] {
    std::random_device rd;
    uint8_t bytes[16];
    for (uint8_t& b : bytes) {
      b = static_cast<uint8_t>(rd());
    }
    token_base_ = HexEncode(bytes, sizeof(bytes));
  });
  return token_base_ + "-" + std::to_string(token_counter_.fetch_add(1));
}

Status S3EventStore::Failed(const Status& s3_status, const std::string& key) {
  log_->Error("storage s3: " + s3_status.ToString() + " (object " + key + ")");
  return UnavailableError("storage_unavailable",
                          "S3 did not confirm storing the event (" + s3_status.reason() +
                              "); retry later (a retry with an Idempotency-Key is never stored "
                              "twice)");
}

Result<AppendOutcome> S3EventStore::Store(S3Client* s3, const Event& event) {
  const int64_t ts = env_->NowMicros();
  const std::string day = options_.zone.DayOf(ts);
  const int64_t second = std::clamp<int64_t>(
      (ts - options_.zone.StartOfDay(day)) / kMicrosPerSecond, 0, kMaxSecondsPerDay - 1);
  {
    // docs/DATA-FORMAT.md, "Storage in S3": the name's marker exists before its event does.
    S3NameMarkers markers(s3);
    Status admitted = names_.Admit(&markers, day, event.app, event.name);
    if (admitted.reason() == "too_many_event_names") {
      return admitted;
    }
    if (!admitted.ok()) {
      return Failed(admitted, NameMarkerKey(options_.s3.prefix, day, event.app, event.name));
    }
  }
  const std::string body = FormatEventObject(ts, event);
  const std::string token = NextWriterToken();
  S3PutOptions put;
  put.content_type = "application/json";
  put.if_none_match = true;
  put.metadata.emplace_back(kWriterMeta, token);
  std::string idempotency_hash;
  if (event.idempotency_key) {
    idempotency_hash = IdempotencyHash(event.app, *event.idempotency_key);
    put.metadata.emplace_back(kIdempotencyMeta, idempotency_hash);
  }
  AppendOutcome out;
  out.day = day;

  if (event.is_unique || event.idempotency_key) {
    const std::string key =
        event.is_unique
            ? UniqueKey(options_.s3.prefix, day, event.app, event.name)
            : IdempotencyKey(options_.s3.prefix, day, event.app, *event.idempotency_key);
    Result<std::optional<S3ObjectInfo>> other = CreateOnce(s3, key, body, put, token);
    if (!other.ok()) {
      return Failed(other.status(), key);
    }
    if (*other) {  // stored before, by this or another writer
      out.duplicate = true;
      out.replayed =
          !idempotency_hash.empty() && MetaOf(**other, kIdempotencyMeta) == idempotency_hash;
    }
    return out;
  }

  for (int conflicts = 0; conflicts < options_.max_conflicts; ++conflicts) {
    std::optional<int64_t> n;
    {
      std::lock_guard<std::mutex> lock(counter_mu_);
      n = counter_.Next(day, second);
    }
    if (!n) {
      return UnavailableError("storage_unavailable",
                              "more than 100000 events in one second; retry later");
    }
    const std::string key = NumberedKey(options_.s3.prefix, day, EventNumber(second, *n));
    Result<std::optional<S3ObjectInfo>> other = CreateOnce(s3, key, body, put, token);
    if (!other.ok()) {
      return Failed(other.status(), key);
    }
    if (!*other) {
      return out;
    }
    // Another writer holds this n: take the next one.
    std::lock_guard<std::mutex> lock(counter_mu_);
    counter_.Taken(day, second, *n);
  }
  log_->Error("storage s3: " + std::to_string(options_.max_conflicts) +
              " other writers' objects in a row for one event in " +
              DayPrefix(options_.s3.prefix, day));
  return UnavailableError("storage_unavailable",
                          "too many concurrent writers in the same second; retry later");
}

Result<std::vector<Result<AppendOutcome>>> S3EventStore::Append(std::span<const Event> events) {
  std::vector<Result<AppendOutcome>> out(events.size(), InternalError("not stored"));
  if (events.empty()) {
    return out;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto work = [&]() {
    Result<std::unique_ptr<S3Client>> client = clients_.Take();
    for (size_t i = next.fetch_add(1); i < events.size(); i = next.fetch_add(1)) {
      if (!client.ok()) {
        out[i] = client.status();
        continue;
      }
      if (stop.load()) {
        out[i] = UnavailableError("storage_unavailable",
                                  "not sent: S3 failed for an earlier event of the batch; retry "
                                  "later");
        continue;
      }
      try {  // a helper thread has no caller to pass an exception to
        out[i] = Store(client->get(), events[i]);
      } catch (const std::exception& e) {
        out[i] = InternalError(std::string("storing an event in S3: ") + e.what());
      }
      if (!out[i].ok() && out[i].status().reason() != "too_many_event_names") {
        stop.store(true);  // S3 failed: a name refused by the cap says nothing about S3
      }
    }
    if (client.ok()) {
      clients_.Return(std::move(client).value());
    }
  };
  const size_t helpers =
      std::min(events.size(), static_cast<size_t>(options_.max_parallel_puts)) - 1;
  std::vector<std::thread> threads;
  threads.reserve(helpers);
  for (size_t i = 0; i < helpers; ++i) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads: the ones there (and this one) do the rest
    }
  }
  work();
  for (std::thread& t : threads) {
    t.join();
  }
  bool any_stored = std::any_of(out.begin(), out.end(), [](const auto& r) { return r.ok(); });
  if (!any_stored) {
    for (const Result<AppendOutcome>& r : out) {
      if (r.status().code() == Code::kUnavailable || r.status().code() == Code::kInternal) {
        return r.status();
      }
    }
  }
  return out;
}

DayStore::Health S3EventStore::CheckHealth() {
  DayStore::Health h;
  const std::string day = options_.zone.DayOf(env_->NowMicros());
  const std::string prefix = DayPrefix(options_.s3.prefix, day);
  h.today_file = "s3://" + options_.s3.bucket + "/" + prefix;
  std::lock_guard<std::mutex> lock(health_mu_);
  if (probe_ == nullptr) {
    S3Config quick = options_.s3;
    quick.retries = 0;  // /healthz answers now; a load balancer asks again
    quick.timeout_ms = std::min<int64_t>(quick.timeout_ms, 5000);
    Result<std::unique_ptr<S3Client>> c = S3Client::Create(quick);
    if (!c.ok()) {
      h.reason = "storage_unavailable";
      h.message = c.status().ToString();
      return h;
    }
    probe_ = std::move(c).value();
  }
  Result<S3ListPage> page = probe_->ListObjectsPage(prefix, "", 1);
  if (!page.ok()) {
    h.reason = "storage_unavailable";
    h.message = "storage s3: " + page.status().ToString();
    return h;
  }
  h.writable = true;
  return h;
}

}  // namespace itslog
