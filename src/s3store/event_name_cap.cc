#include "s3store/event_name_cap.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "s3store/object_keys.h"

namespace itslog {

namespace {

// Days whose names a process remembers: today, and yesterday for requests that read the
// clock just before midnight.
constexpr size_t kRememberedDays = 2;

}  // namespace

struct EventNameCap::AppNames {
  // Held while a name new to this process is admitted: list, then create. One admission at a
  // time per process is what bounds the overshoot to one name per process
  // (docs/DATA-FORMAT.md, "Storage in S3").
  std::mutex admit_mu;
  std::unordered_set<std::string> known;  // hashes (of NameMarkerKey) with a marker
  bool full = false;                      // a listing showed max_names markers or more
};

EventNameCap::EventNameCap(std::string prefix, int64_t max_names)
    : prefix_(std::move(prefix)), max_names_(std::max<int64_t>(1, max_names)) {}

std::shared_ptr<EventNameCap::AppNames> EventNameCap::Find(const std::string& day,
                                                           const std::string& app) {
  auto [day_it, inserted] = days_.try_emplace(day);
  std::shared_ptr<AppNames>& names = day_it->second[app];
  if (names == nullptr) {
    names = std::make_shared<AppNames>();
  }
  std::shared_ptr<AppNames> out = names;
  if (inserted) {
    // Days order as their names do. A caller still working on a forgotten day keeps its
    // AppNames alive; the next one for that day starts afresh (and lists again).
    while (days_.size() > kRememberedDays) {
      days_.erase(days_.begin());
    }
  }
  return out;
}

Status EventNameCap::TooMany(const std::string& app, const std::string& event, size_t names) const {
  return Status(Code::kUnprocessable, "too_many_event_names",
                "app " + Quote(app) + " already has " + std::to_string(names) +
                    " distinct event names today (the limit is " + std::to_string(max_names_) +
                    "), so the new name " + Quote(event) +
                    " was refused; event names should be a fixed set: put what varies (ids, "
                    "timestamps, user names) in the value, not in the name",
                "event");
}

Status EventNameCap::Admit(NameMarkerStore* store, const std::string& day, const std::string& app,
                           const std::string& event) {
  const std::string hash = NameHash(app, event);
  const std::string key = NameMarkerKey(prefix_, day, app, event);
  std::shared_ptr<AppNames> names;
  bool full = false;
  size_t known = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    names = Find(day, app);
    if (names->known.contains(hash)) {
      return Status::Ok();
    }
    full = names->full;
    known = names->known.size();
  }
  // Markers are never removed, so a full app stays full today: no admission follows, and
  // only a marker created since the listing (by a writer that raced it) admits a name.
  auto when_full = [&]() -> Status {
    Result<bool> exists = store->Exists(key);
    if (!exists.ok()) {
      return exists.status();
    }
    if (!*exists) {
      return TooMany(app, event, known);
    }
    std::lock_guard<std::mutex> lock(mu_);
    names->known.insert(hash);
    return Status::Ok();
  };
  if (full) {
    return when_full();  // needs no turn
  }

  std::unique_lock<std::mutex> admit(names->admit_mu);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (names->known.contains(hash)) {  // admitted by another thread while this one waited
      return Status::Ok();
    }
    full = names->full;
    known = names->known.size();
  }
  if (full) {
    admit.unlock();
    return when_full();
  }
  // Every writer's markers of this app today, as S3 has them now.
  const std::string day_prefix = DayPrefix(prefix_, day);
  std::unordered_set<std::string> listed;
  Status s = store->List(NameMarkerPrefix(prefix_, day, app), [&](std::string_view k) {
    std::optional<NameMarker> m = ParseNameMarker(day_prefix, k);
    if (m && m->app == app) {
      listed.insert(std::move(m->hash_hex));
    }
  });
  if (!s.ok()) {
    return s;
  }
  const bool listed_known = listed.contains(hash);
  const size_t count = listed.size();
  {
    std::lock_guard<std::mutex> lock(mu_);
    names->known.merge(listed);
    if (listed_known) {
      return Status::Ok();
    }
    if (static_cast<int64_t>(count) >= max_names_) {
      names->full = true;
      return TooMany(app, event, count);
    }
  }
  if (Status c = store->CreateMarker(key, NameMarkerBody(app, event)); !c.ok()) {
    return c;
  }
  std::lock_guard<std::mutex> lock(mu_);
  names->known.insert(hash);
  return Status::Ok();
}

}  // namespace itslog
